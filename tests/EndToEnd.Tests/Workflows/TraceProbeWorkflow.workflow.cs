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

    /// <summary>Makes a call from inside a handler: its span belongs under the handler's.</summary>
    [WorkflowSignal("ping")]
    public Task PingAsync() =>
        Workflow.ExecuteActivityAsync(
            () => TraceProbeActivities.Echo("ping"),
            new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });

    /// <summary>A failure thrown by a signal handler fails the whole run.</summary>
    [WorkflowSignal("fail")]
    public Task FailAsync() =>
        throw new Temporalio.Exceptions.ApplicationFailureException(
            "probe failed on request",
            "ProbeFailure",
            nonRetryable: true);

    /// <summary>Adds to the run's details as workflow code may: what was there stays, link included.</summary>
    [WorkflowSignal("note")]
    public Task NoteAsync(string note)
    {
        Workflow.CurrentDetails += "\n\n" + note;
        return Task.CompletedTask;
    }

    /// <summary>Clears the details as careless code might: with null, which the annotation rules out.</summary>
    [WorkflowSignal("clearDetails")]
    public Task ClearDetailsAsync()
    {
        Workflow.CurrentDetails = null!;
        return Task.CompletedTask;
    }

    [WorkflowQuery("signalIds")]
    public string? SignalIds => signalIds;

    private static string Ids() =>
        $"{Activity.Current?.TraceId.ToHexString()}/{Activity.Current?.SpanId.ToHexString()}";
}

/// <summary>An activity for the probe's handlers to call.</summary>
public static partial class TraceProbeActivities
{
    [Temporalio.Activities.Activity("probeEcho")]
    public static string Echo(string text)
    {
        Echoed(Temporalio.Activities.ActivityExecutionContext.Current.Logger, text);
        return text;
    }

    [LoggerMessage(1, LogLevel.Information, "probe echo {Text}", EventName = "ProbeEcho")]
    private static partial void Echoed(ILogger logger, string text);
}
