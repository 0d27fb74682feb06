using Watchtower.Monitoring.Interception;

namespace Watchtower.Monitoring.Tests;

public sealed class EmittedKeysTests
{
    [Fact]
    public void TryClaim_SameKeyAgain_Refused()
    {
        var keys = new EmittedKeys();

        Assert.True(keys.TryClaim(42));
        Assert.False(keys.TryClaim(42));
        Assert.True(keys.TryClaim(43));
    }

    [Fact]
    public void TryClaim_KeyAfterAGenerationOfOthers_StillRefused()
    {
        // The oldest key of a full generation moves to the previous one and is still remembered there.
        var keys = new EmittedKeys();
        Assert.True(keys.TryClaim(0));
        for (ulong key = 1; key < EmittedKeys.Generation; key++)
        {
            Assert.True(keys.TryClaim(key));
        }

        Assert.False(keys.TryClaim(0));
        Assert.False(keys.TryClaim(EmittedKeys.Generation - 1));
    }

    [Fact]
    public void TryClaim_KeyThatFillsAGenerationThenAGenerationOfOthers_StillRefused()
    {
        // The worst case: the key that fills a generation is the newest when it turns over.
        var keys = new EmittedKeys();
        const ulong last = EmittedKeys.Generation - 1;
        for (ulong key = 0; key <= last + EmittedKeys.Generation; key++)
        {
            Assert.True(keys.TryClaim(key));
        }

        Assert.False(keys.TryClaim(last));
    }

    [Fact]
    public void TryClaim_KeyAfterTwoGenerationsOfOthers_ForgottenSoMemoryStaysBounded()
    {
        var keys = new EmittedKeys();
        for (ulong key = 0; key <= 2 * EmittedKeys.Generation; key++)
        {
            Assert.True(keys.TryClaim(key));
        }

        Assert.True(keys.TryClaim(0));
        Assert.False(keys.TryClaim(2 * EmittedKeys.Generation));
    }

    [Fact]
    public void TryClaim_GenerationsFullAndForgotten_NothingAllocated()
    {
        var keys = new EmittedKeys();
        ulong next = 0;
        while (next < 3 * EmittedKeys.Generation)
        {
            keys.TryClaim(next++);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        while (next < 6 * EmittedKeys.Generation)
        {
            keys.TryClaim(next++);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
