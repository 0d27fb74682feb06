using Watchtower.Monitoring.Labels;

namespace Watchtower.Monitoring.Tests;

public sealed class MetricLabelsTests
{
    [Fact]
    public void BoundedLabel_MoreDistinctValuesThanItsCap_LaterOnesReadOverflowAndKeptOnesStay()
    {
        var label = new BoundedLabel(cap: 3);

        var values = Enumerable.Range(0, 10).Select(i => label.Admit("queue-" + i)).ToList();

        Assert.Equal(["queue-0", "queue-1", "queue-2"], values.Take(3));
        Assert.All(values.Skip(3), v => Assert.Equal(MetricLabels.Overflow, v));
        Assert.Equal("queue-1", label.Admit("queue-1"));
    }

    [Fact]
    public void BoundedLabel_ManyThreadsAdmittingTheSameValues_KeepsExactlyTheCap()
    {
        var label = new BoundedLabel(cap: 50);

        Parallel.For(0, 10_000, i => label.Admit("v" + (i % 200)));

        Assert.Equal(50, Enumerable.Range(0, 200).Count(i => label.Contains("v" + i)));
    }

    [Fact]
    public void TypeLabel_ReportedTypeNeitherDeclaredNorRan_ReadsUnregistered()
    {
        var types = new TypeLabel(ranCap: 2);
        types.Declare("DocumentPipeline");

        Assert.Equal("DocumentPipeline", types.Reported("DocumentPipeline"));
        Assert.Equal(MetricLabels.Unregistered, types.Reported("NoSuchWorkflow"));
    }

    [Fact]
    public void TypeLabel_UndeclaredTypesThatRun_KeptUpToTheCapThenOverflowAndDeclaredOnesAlwaysKept()
    {
        var types = new TypeLabel(ranCap: 2);
        types.Declare("Declared");

        Assert.Equal("Dynamic1", types.Ran("Dynamic1"));
        Assert.Equal("Dynamic2", types.Ran("Dynamic2"));
        Assert.Equal(MetricLabels.Overflow, types.Ran("Dynamic3"));
        Assert.Equal("Declared", types.Ran("Declared"));
        Assert.Equal("Dynamic1", types.Reported("Dynamic1"));
        Assert.Equal(MetricLabels.Unregistered, types.Reported("Dynamic3"));
    }
}
