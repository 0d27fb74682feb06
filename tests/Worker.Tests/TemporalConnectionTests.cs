using Watchtower.Worker.Connection;

namespace Watchtower.Worker.Tests;

public sealed class TemporalConnectionTests
{
    [Fact]
    public void Describe_SingleException_ReturnsMessageOnOneLine()
    {
        var description = WorkerConnection.Describe(new InvalidOperationException("first\nsecond\r\nthird"));

        Assert.Equal("first second third", description);
    }

    [Fact]
    public void Describe_NestedExceptions_ReturnsOuterAndInnermostOnOneLine()
    {
        var exception = new InvalidOperationException(
            "Connection failed\nwhile dialing",
            new IOException("middle", new TimeoutException("timed out\r\nafter 5s")));

        var description = WorkerConnection.Describe(exception);

        Assert.Equal("Connection failed while dialing (timed out after 5s)", description);
    }
}
