using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Temporalio.Client;
using Temporalio.Extensions.Hosting;
using Watchtower.Monitoring;
using Watchtower.Monitoring.Tracing;
using Watchtower.Worker.ResilientWorker;
using Watchtower.Workflows;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Spans a worker host exported, through the OpenTelemetry in-memory exporter. The library's
/// ActivitySource is process-wide, so a recorder also sees other tests' spans: assertions select
/// by trace id or workflow id.
/// </summary>
internal sealed class SpanRecorder
{
    private static readonly string[] WorkflowSpanPrefixes = ["RunWorkflow:", "StartActivity:", "StartChildWorkflow:"];

    private readonly LockedSpans spans = [];

    /// <summary>
    /// The test's own source: a client-side root span, as the other SDKs' vectors have ("client-root").
    /// </summary>
    public static readonly ActivitySource TestSource = new("Watchtower.EndToEnd.Tests");

    public static SpanRecorder Attach(IServiceCollection services)
    {
        var recorder = new SpanRecorder();
        services.ConfigureOpenTelemetryTracerProvider(
            b => b.AddSource(TestSource.Name).AddInMemoryExporter(recorder.spans));
        return recorder;
    }

    public IReadOnlyList<Activity> Snapshot()
    {
        // Workflow spans reach the exporter from the thread pool a moment after their workflow task: a read waits for
        // those ended before it, so that an assertion that a span is absent cannot pass for looking too early.
        Assert.True(
            TracingInterceptor.WaitForQueuedSpans(TimeSpan.FromSeconds(10)),
            "workflow spans still queued for the exporter after 10 s");
        lock (spans)
        {
            return [.. spans];
        }
    }

    /// <summary>Starts the client-side root span; client calls made under it share its trace.</summary>
    public static Activity ClientRoot() => TestSource.StartActivity("client-root", ActivityKind.Internal)
        ?? throw new InvalidOperationException(
            "No listener for the test's ActivitySource: attach a SpanRecorder first");

    /// <summary>Whether a span is one the workflow side ends: a run, or an activity or child it starts.</summary>
    public static bool IsWorkflowSpan(string name) =>
        WorkflowSpanPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));

    public IReadOnlyList<Activity> InTrace(ActivityTraceId traceId) => [.. Snapshot().Where(s => s.TraceId == traceId)];

    public Task<IReadOnlyList<Activity>> WaitForAsync(
        ActivityTraceId traceId,
        Func<IReadOnlyList<Activity>, bool> done,
        string what,
        TimeSpan? timeout = null) =>
        Eventually.UntilAsync(() => Task.FromResult(InTrace(traceId)), done, what, timeout);

    /// <summary>
    /// The exporter adds from whichever thread ends a span, while a test copies the list: adding
    /// takes the lock the copy takes, or the copy can see a slot before its span.
    /// </summary>
    private sealed class LockedSpans : System.Collections.ObjectModel.Collection<Activity>
    {
        protected override void InsertItem(int index, Activity item)
        {
            lock (this)
            {
                base.InsertItem(index, item);
            }
        }
    }
}

/// <summary>Helpers to set up monitored workers and clients.</summary>
internal static class Monitored
{
    /// <summary>A client whose calls go through the worker host's monitoring interceptor.</summary>
    public static Task<TemporalClient> ClientAsync(WorkerHarness worker, string address) =>
        TemporalClient.ConnectAsync(new(address)
        {
            DataConverter = PipelineDataConverter.Instance,
            Interceptors = [worker.Host.Services.GetRequiredService<TemporalMonitoringInterceptor>()],
        });

    /// <summary>
    /// Runs a parent with two batches of one document (3 runs, 2 child starts, 3 activity starts) to its end under a
    /// client-side root span; the trace it ran in and its result.
    /// </summary>
    public static async Task<(ActivityTraceId Trace, DocumentPipelineResult Result)> RunTracedPipelineAsync(
        TemporalClient client, WorkerHarness worker, string idPrefix)
    {
        using var root = SpanRecorder.ClientRoot();
        var result = await client.ExecuteWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2, batchSize: 1)),
            worker.Options(idPrefix + Guid.NewGuid()));
        return (root.TraceId, result);
    }

    /// <summary>Registers extra workflows on the harness's worker.</summary>
    public static TemporalWorkerServiceOptionsBuilder Workflows(IServiceCollection services) =>
        new(ResilientWorkerService.OptionsName, services);

    /// <summary>Registers the trace probe workflow and its activity.</summary>
    public static void Probe(IServiceCollection services) =>
        Workflows(services)
            .AddWorkflow<Tests.Workflows.TraceProbeWorkflow>()
            .AddStaticActivities(typeof(Tests.Workflows.TraceProbeActivities));

    /// <summary>
    /// Turns the worker's workflow cache off, so that every workflow task replays the run from the start.
    /// </summary>
    public static void DisableCache(IServiceCollection services) => LimitCache(services, runs: 0);

    /// <summary>
    /// Keeps only a few runs in the worker's cache, so that with more runs open than that tasks for evicted runs
    /// miss it.
    /// </summary>
    public static void LimitCache(IServiceCollection services, int runs) =>
        services.Configure<TemporalWorkerServiceOptions>(
            ResilientWorkerService.OptionsName,
            o => o.MaxCachedWorkflows = runs);

    public static ActivityTraceId TraceOf(Activity span) => span.TraceId;

    public static Activity Single(IEnumerable<Activity> spans, string name) =>
        Assert.Single(spans, s => s.DisplayName == name);

    public static string Describe(IEnumerable<Activity> spans) =>
        string.Join(
            Environment.NewLine,
            spans.OrderBy(s => s.StartTimeUtc).Select(s => $"{s.DisplayName} {s.SpanId} <- {s.ParentSpanId}"));
}

/// <summary>Records, for every log line, the trace and span ids current when it was written.</summary>
internal sealed class TraceIdLogProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, string Message, string? TraceId, string? SpanId)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(TraceIdLogProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((
                category,
                formatter(state, exception),
                Activity.Current?.TraceId.ToHexString(),
                Activity.Current?.SpanId.ToHexString()));
    }
}
