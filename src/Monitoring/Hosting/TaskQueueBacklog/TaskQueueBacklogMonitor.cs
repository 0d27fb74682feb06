using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Hosting.TaskQueueBacklog;

/// <summary>
/// How many tasks wait on a worker's task queue and for how long, as the server counts them: one
/// <c>DescribeTaskQueue</c> call with statistics per task queue type every <c>Monitoring:TaskQueueBacklogInterval</c>,
/// as <c>watchtower_task_queue_backlog</c> and <c>watchtower_task_queue_backlog_age_seconds</c>. The SDK's own
/// metrics only see tasks once a poller takes them; a backlog that grows while no worker polls shows only here.
/// A server that gives no statistics makes it a no-op, said once; a call that fails meanwhile (the server away)
/// keeps the last figures until the next call gets through.
/// </summary>
public sealed class TaskQueueBacklogMonitor : IDisposable
{
    internal const string MonitorName = "task-queue-backlog";

    private static readonly Lazy<bool> Gauges = new(CreateGauges);

    private static readonly (TaskQueueType Type, string Label)[] Types =
        [(TaskQueueType.Workflow, "workflow"), (TaskQueueType.Activity, "activity")];

    private readonly ConcurrentDictionary<(string Namespace, string TaskQueue, string Type), (long Count, double Age)>
        backlogs = new();

    private readonly TimeSpan interval;
    private readonly MonitoringStatus status;
    private readonly TimeProvider time;
    private int unsupported;

    internal TaskQueueBacklogMonitor(
        IOptions<TemporalMonitoringOptions> options, MonitoringStatus status, TimeProvider time)
    {
        interval = options.Value.TaskQueueBacklogInterval;
        this.status = status;
        this.time = time;
        _ = Gauges.Value;
        GaugeSources<TaskQueueBacklogMonitor>.Join(this);
    }

    /// <summary>
    /// Watches one task queue of the client's namespace until cancelled; call it while the worker polls. Returns
    /// at once when the interval is zero (off) or the server gives no statistics.
    /// </summary>
    /// <param name="client">A connected client.</param>
    /// <param name="taskQueue">The task queue.</param>
    /// <param name="cancellationToken">Stops watching.</param>
    /// <returns>A task that ends when watching ends; it never faults.</returns>
    public async Task RunAsync(ITemporalClient client, string taskQueue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(taskQueue);
        var ns = client.Options.Namespace;
        while (interval > TimeSpan.Zero && Volatile.Read(ref unsupported) == 0
            && !cancellationToken.IsCancellationRequested)
        {
            foreach (var (type, label) in Types)
            {
                if (await DescribeAsync(client, ns, taskQueue, type, cancellationToken).ConfigureAwait(false) is
                    { } backlog)
                {
                    backlogs[(ns, taskQueue, label)] = backlog;
                }
            }

            try
            {
                await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Takes this host's task queues off the gauges.</summary>
    public void Dispose() => GaugeSources<TaskQueueBacklogMonitor>.Leave(this);

    private static bool CreateGauges()
    {
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.task_queue.backlog",
            static () => Observe(static b => b.Count),
            "{task}",
            "Tasks waiting on a task queue, by type (workflow, activity), as the server counts them (approximate).");
        HostingTelemetry.Meter.CreateObservableGauge(
            "watchtower.task_queue.backlog_age",
            static () => Observe(static b => b.Age),
            "s",
            "How long the oldest task on a task queue has waited, by type (0 with no backlog).");
        return true;
    }

    private static IEnumerable<Measurement<double>> Observe(Func<(long Count, double Age), double> value) =>
        GaugeSources<TaskQueueBacklogMonitor>.All.SelectMany(m => m.backlogs).Select(p => new Measurement<double>(
            value(p.Value),
            new KeyValuePair<string, object?>("namespace", p.Key.Namespace),
            new KeyValuePair<string, object?>("task_queue", p.Key.TaskQueue),
            new KeyValuePair<string, object?>("task_queue_type", p.Key.Type)));

    private async Task<(long Count, double Age)?> DescribeAsync(
        ITemporalClient client, string ns, string taskQueue, TaskQueueType type, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.WorkflowService.DescribeTaskQueueAsync(
                new()
                {
                    Namespace = ns,
                    TaskQueue = new() { Name = taskQueue, Kind = TaskQueueKind.Normal },
                    TaskQueueType = type,
                    ReportStats = true,
                },
                new() { CancellationToken = cancellationToken }).ConfigureAwait(false);
            if (response.Stats is not { } stats)
            {
                StepDown(new NotSupportedException("the server's DescribeTaskQueue gives no statistics"));
                return null;
            }

            status.Ready(MonitorName);
            return (stats.ApproximateBacklogCount, stats.ApproximateBacklogAge?.ToTimeSpan().TotalSeconds ?? 0);
        }
        catch (RpcException e) when (e.Code is RpcException.StatusCode.Unimplemented
            or RpcException.StatusCode.PermissionDenied)
        {
            StepDown(e);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The server away or busy: the connection watch says so; the next call tries again.
            return null;
        }
    }

    private void StepDown(Exception reason)
    {
        if (Interlocked.Exchange(ref unsupported, 1) == 0)
        {
            status.Report(MonitorName, reason);
        }
    }
}
