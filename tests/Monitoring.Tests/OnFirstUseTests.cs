using Watchtower.Monitoring.Metrics;

namespace Watchtower.Monitoring.Tests;

public sealed class OnFirstUseTests
{
    [Fact]
    public void OnFirstUse_CreationThrowsOnce_NextUseMakesItAndKeepsIt()
    {
        var tries = 0;
        var instrument = new OnFirstUse<object>(() =>
            ++tries == 1 ? throw new InvalidOperationException("listener bug") : new object());

        Assert.Throws<InvalidOperationException>(() => instrument.Value);
        var made = instrument.Value;

        Assert.Same(made, instrument.Value);
        Assert.Equal(2, tries);
    }

    [Fact]
    public void OnFirstUse_CreationAlwaysThrows_TriedAFewTimesThenNoMore()
    {
        // .NET keeps every instrument it made even when a listener threw on it: one try per use would grow the Meter.
        var tries = 0;
        var instrument = new OnFirstUse<object>(() =>
        {
            tries++;
            throw new InvalidOperationException("listener bug");
        });

        for (var i = 0; i < 100; i++)
        {
            Assert.Throws<InvalidOperationException>(() => instrument.Value);
        }

        Assert.Equal(OnFirstUse<object>.Tries, tries);
    }

    [Fact]
    public async Task OnFirstUse_ManyThreadsAtOnce_OneMade()
    {
        var made = 0;
        var instrument = new OnFirstUse<object>(() =>
        {
            Interlocked.Increment(ref made);
            return new object();
        });
        using var start = new Barrier(8);

        var seen = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(
            () =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                return instrument.Value;
            },
            TestContext.Current.CancellationToken)));

        Assert.Equal(1, made);
        Assert.All(seen, value => Assert.Same(seen[0], value));
    }
}
