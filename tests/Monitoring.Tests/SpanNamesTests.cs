using Watchtower.Monitoring.Tracing;

namespace Watchtower.Monitoring.Tests;

public sealed class SpanNamesTests
{
    [Fact]
    public void For_SameTypeAgain_ReturnsTheSameString()
    {
        var names = new SpanNames("StartActivity:");

        var first = names.For("analyseDocument");
        var second = names.For(new string("analyseDocument".AsSpan()));

        Assert.Equal("StartActivity:analyseDocument", first);
        Assert.Same(first, second);
    }

    [Fact]
    public void For_MoreTypesThanItKeeps_StillNamesEachButKeepsNoMore()
    {
        var names = new SpanNames("RunActivity:");
        for (var i = 0; i < SpanNames.MaxKept; i++)
        {
            names.For("type" + i);
        }

        var past = names.For("one-more");

        Assert.Equal("RunActivity:one-more", past);
        Assert.NotSame(past, names.For("one-more"));
        Assert.Same(names.For("type7"), names.For("type7"));
    }
}
