using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Temporalio.Workflows;

namespace Watchtower.EndToEnd.Tests.Workflows;

/// <summary>Reports the trace and span ids its own code sees, in the run and in a signal handler.</summary>
[Workflow("TraceProbe")]
public sealed class TraceProbeWorkflow
{
    private string? signalIds;
    private string? updateIds;
    private bool finished;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        Workflow.Logger.LogInformation("probe run started");
        var runIds = Ids();
        await Workflow.WaitConditionAsync(() => finished);
        Workflow.Logger.LogInformation("probe run finishing");
        return runIds;
    }

    [WorkflowSignal("finish")]
    public Task FinishAsync()
    {
        Workflow.Logger.LogInformation("probe signal handled");
        signalIds = Ids();
        finished = true;
        return Task.CompletedTask;
    }

    [WorkflowUpdate("rename")]
    public Task<string> RenameAsync(string name)
    {
        updateIds = Ids();
        return Task.FromResult(name);
    }

    [WorkflowUpdateValidator(nameof(RenameAsync))]
    public void ValidateRename(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("A name is required.", nameof(name));
        }
    }

    [WorkflowQuery("updateIds")]
    public string? UpdateIds => updateIds;

    [WorkflowQuery("signalIds")]
    public string? SignalIds => signalIds;

    private static string Ids() => $"{Activity.Current?.TraceId.ToHexString()}/{Activity.Current?.SpanId.ToHexString()}";
}
