using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Client.Interceptors;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Monitoring.Hosting.DispatcherHeartbeats;
using Watchtower.Monitoring.Hosting.Monitors;
using Watchtower.Worker.Dispatcher;
using Watchtower.Workflows.Dispatcher;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

public sealed class DispatcherHeartbeatTests(DevServerFixture server)
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Dispatcher_RunByTheWorker_HeartbeatsArriveOnThisProcessQueueAcrossContinueAsNew()
    {
        server.RequireCli();
        var taskQueue = "e2e-" + Guid.NewGuid().ToString("N");
        var id = "dispatcher-" + Guid.NewGuid().ToString("N");

        // Running already, with a tiny history bound: the worker attaches to it, and heartbeats alone make it
        // continue as new.
        var first = await server.Client.StartWorkflowAsync(
            (DocumentDispatcherWorkflow wf) => wf.RunAsync(new DispatcherInput(MaxHistoryEvents: 20)),
            new WorkflowOptions(id, taskQueue) { Rpc = WorkerHarness.Rpc });
        var port = TestTools.FreePort();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            settings: WorkerHarness.DispatcherSettings(id, port, taskQueue));
        var keeper = worker.Host.Services.GetRequiredService<DispatcherKeeper>();
        var monitor = worker.Host.Services.GetRequiredService<IDispatcherHeartbeatMonitor>();
        await worker.WaitForLogAsync("DispatcherAttached", "the worker to attach to its dispatcher");

        var handle = server.Client.GetWorkflowHandle<DocumentDispatcherWorkflow>(id);
        var status = await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Status, new() { Rpc = WorkerHarness.Rpc }),
            s => s.Totals.Generation >= 3,
            "the dispatcher to continue as new twice on heartbeats alone",
            TimeSpan.FromSeconds(60));
        var registered = monitor.Find(id) ?? throw new InvalidOperationException("the dispatcher is not registered");
        var later = await Eventually.UntilAsync(
            () => Task.FromResult(monitor.Find(id)),
            d => d is not null && d.Heartbeats >= registered.Heartbeats + 2,
            "heartbeats to keep arriving after continue-as-new");

        Assert.Equal(keeper.HeartbeatTaskQueue, status.Attachment?.HeartbeatTaskQueue);
        Assert.Equal((1, 1), (status.Attachment!.HeartbeatIntervalSeconds, status.Attachment.Number));
        Assert.StartsWith(taskQueue + "-heartbeat-", keeper.HeartbeatTaskQueue, StringComparison.Ordinal);
        Assert.Equal(registered.RegisteredAt, later!.RegisteredAt);
        Assert.False(later.IsStale);
        Assert.Equal(1, worker.Count("DispatcherRegistered"));

        // The heartbeats went through the server to this process's own queue.
        var history = await server.Client.GetWorkflowHandle(id, runId: first.ResultRunId)
            .FetchHistoryAsync(new() { Rpc = WorkerHarness.Rpc });
        var beats = history.Events
            .Select(e => e.ActivityTaskScheduledEventAttributes)
            .Where(a => a?.ActivityType.Name == "recordDispatcherHeartbeat")
            .ToList();
        Assert.NotEmpty(beats);
        Assert.All(beats, a => Assert.Equal(keeper.HeartbeatTaskQueue, a!.TaskQueue.Name));
        Assert.Equal(EventType.WorkflowExecutionContinuedAsNew, history.Events.Last().EventType);

        // The timeline says what each wait and call is: no bare timers, no anonymous activities.
        Assert.All(
            history.Events.Where(e => e.EventType is EventType.TimerStarted or EventType.ActivityTaskScheduled),
            e => Assert.True(e.UserMetadata?.Summary is not null, $"{e.EventType} {e.EventId} has no summary"));
        Assert.Contains(history.Events, e => e.EventType == EventType.TimerStarted);

        // Scraped until healthy: one heartbeat late on a busy machine counts the dispatcher stale for a moment.
        using var http = new HttpClient();
        var scrape = await Eventually.UntilAsync(
            () => http.GetStringAsync(
                new Uri($"http://127.0.0.1:{port}/metrics"),
                TestContext.Current.CancellationToken),
            body => System.Text.RegularExpressions.Regex.IsMatch(
                body,
                "(?m)^watchtower_dispatchers_healthy({[^}]*})? [1-9]"),
            "the scrape to count a healthy dispatcher");
        Assert.Matches($"(?m)^watchtower_dispatcher_heartbeats_total{{[^}}]*dispatcher=\"{id}\"[^}}]*}} [1-9]", scrape);
        Assert.Matches($"(?m)^watchtower_dispatcher_heartbeat_age_seconds{{[^}}]*dispatcher=\"{id}\"", scrape);
        Assert.DoesNotContain("-heartbeat-", scrape, StringComparison.Ordinal);
        var ready = await new HealthProbe(port).WaitForAsync("ready", 200, "readiness with a fresh dispatcher");
        Assert.Contains($"1 dispatcher(s) heartbeating: {id}", ready.Body, StringComparison.Ordinal);
        Assert.Contains($"{id} attached, heartbeating every 1 s to this process", ready.Body, StringComparison.Ordinal);

        // Ended from outside: the worker stops expecting its heartbeats.
        await handle.CancelAsync(new() { Rpc = WorkerHarness.Rpc });
        await worker.WaitForLogAsync(
            "DispatcherEnded",
            "the worker to notice its dispatcher ended",
            match: r => r.Message.Contains("canceled", StringComparison.Ordinal));
        Assert.Null(monitor.Find(id));
        Assert.Equal((DispatcherAttachmentStatus.Ended, "canceled"), keeper.State);
        var degraded = await new HealthProbe(port)
            .WaitForAsync("ready", 200, "readiness, degraded, once the dispatcher ended");
        Assert.Contains("\"status\":\"Degraded\"", degraded.Body, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Dispatcher_HeartbeatsStopArriving_ReadinessFailsWhileStaleThenRecovers()
    {
        server.RequireCli();
        var id = "dispatcher-" + Guid.NewGuid().ToString("N");
        var port = TestTools.FreePort();
        HeldHeartbeats? held = null;
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            s => s.AddSingleton<IDispatcherHeartbeats>(
                sp => held = new HeldHeartbeats(sp.GetRequiredService<DispatcherHeartbeatReceiver>())),
            WorkerHarness.DispatcherSettings(id, port));
        var monitor = worker.Host.Services.GetRequiredService<IDispatcherHeartbeatMonitor>();
        var health = new HealthProbe(port);
        await Eventually.UntilAsync(
            () => Task.FromResult(monitor.Find(id)?.Heartbeats ?? 0),
            n => n >= 1,
            "the first heartbeat");
        await health.WaitForAsync("ready", 200, "readiness with a fresh dispatcher");

        var (staleBefore, recoveredBefore) = (worker.Count("DispatcherStale"), worker.Count("DispatcherRecovered"));
        held!.Holding = true;
        var stale = await health.WaitForAsync("ready", 503, "readiness to fail once the dispatcher is stale");
        Assert.Contains($"stale: {id}", stale.Body, StringComparison.Ordinal);
        Assert.Contains("connected and polling", stale.Body, StringComparison.Ordinal);
        await worker.WaitForLogAsync(
            "DispatcherStale",
            "the stale dispatcher to be logged",
            match: _ => worker.Count("DispatcherStale") > staleBefore);

        held.Holding = false;
        await health.WaitForAsync("ready", 200, "readiness to pass again once heartbeats arrive");
        await worker.WaitForLogAsync(
            "DispatcherRecovered",
            "the recovery to be logged",
            match: _ => worker.Count("DispatcherRecovered") > recoveredBefore);

        // Once each way, however long it stayed stale.
        Assert.Equal(staleBefore + 1, worker.Count("DispatcherStale"));
        Assert.Equal(recoveredBefore + 1, worker.Count("DispatcherRecovered"));
        await server.Client.GetWorkflowHandle(id).CancelAsync(new() { Rpc = WorkerHarness.Rpc });
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Dispatcher_FirstAttachFails_RetriedUntilHeartbeatsArrive()
    {
        server.RequireCli();
        var id = "dispatcher-" + Guid.NewGuid().ToString("N");
        var failing = new FailFirstAttach();
        await using var worker = await WorkerHarness.StartAsync(
            server.TargetHost,
            s => s.AddSingleton<IClientInterceptor>(failing),
            WorkerHarness.DispatcherSettings(id, port: null));
        var monitor = worker.Host.Services.GetRequiredService<IDispatcherHeartbeatMonitor>();

        await worker.WaitForLogAsync("DispatcherAttached", "the worker to attach on its second attempt");
        await Eventually.UntilAsync(
            () => Task.FromResult(monitor.Find(id)?.Heartbeats ?? 0),
            n => n >= 1,
            "heartbeats after the retried attachment");

        var failed = Assert.Single(worker.Logs.GetSnapshot(), r => r.Id.Name == "DispatcherAttachFailed");
        Assert.Contains("injected", failed.Message, StringComparison.Ordinal);
        Assert.Equal(2, failing.Calls);
        await server.Client.GetWorkflowHandle(id).CancelAsync(new() { Rpc = WorkerHarness.Rpc });
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Dispatcher_SecondWorkerAttaches_FirstIsReleasedAndHeartbeatsMoveOver()
    {
        server.RequireCli();
        var taskQueue = "e2e-" + Guid.NewGuid().ToString("N");
        var id = "dispatcher-" + Guid.NewGuid().ToString("N");
        await using var first = await WorkerHarness.StartAsync(
            server.TargetHost,
            settings: WorkerHarness.DispatcherSettings(id, port: null, taskQueue));
        var firstMonitor = first.Host.Services.GetRequiredService<IDispatcherHeartbeatMonitor>();
        await Eventually.UntilAsync(
            () => Task.FromResult(firstMonitor.Find(id)?.Heartbeats ?? 0),
            n => n >= 1,
            "heartbeats at the first worker");

        await using var second = await WorkerHarness.StartAsync(
            server.TargetHost,
            settings: WorkerHarness.DispatcherSettings(id, port: null, taskQueue));
        var secondMonitor = second.Host.Services.GetRequiredService<IDispatcherHeartbeatMonitor>();
        await first.WaitForLogAsync("DispatcherReleased", "the first worker to be told it was released");
        await Eventually.UntilAsync(
            () => Task.FromResult(secondMonitor.Find(id)?.Heartbeats ?? 0),
            n => n >= 2,
            "heartbeats at the second worker");

        Assert.Null(firstMonitor.Find(id));
        Assert.Equal(
            DispatcherAttachmentStatus.Released,
            first.Host.Services.GetRequiredService<DispatcherKeeper>().State.Status);
        var status = await server.Client.GetWorkflowHandle<DocumentDispatcherWorkflow>(id)
            .QueryAsync(wf => wf.Status, new() { Rpc = WorkerHarness.Rpc });
        Assert.Equal(
            second.Host.Services.GetRequiredService<DispatcherKeeper>().HeartbeatTaskQueue,
            status.Attachment!.HeartbeatTaskQueue);
        await server.Client.GetWorkflowHandle(id).CancelAsync(new() { Rpc = WorkerHarness.Rpc });
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Monitors_EachFailsToStart_OneWarningEachAndWorkflowsStillComplete()
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var id = "dispatcher-" + Guid.NewGuid().ToString("N");
        var settings = WorkerHarness.DispatcherSettings(id, port);
        settings["Monitoring:Memory:WarnFraction"] = "1.5";
        settings["Monitoring:Dispatchers:CheckInterval"] = "never";
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, settings: settings);
        await worker.WaitForLogAsync("DispatcherAttached", "the worker to attach to its dispatcher");

        await DispatcherTests.SubmitAsync(
            cli,
            id,
            """{"requestId":"req-1","pipeline":{"name":"despite-monitors","documents":["""
            + """{"id":"d1","content":"Invoice 1"}],"reviewWindowSeconds":0}}""");
        await Eventually.UntilAsync(
            () => server.Client.GetWorkflowHandle<DocumentDispatcherWorkflow>(id)
                .QueryAsync(wf => wf.Status, new() { Rpc = WorkerHarness.Rpc }),
            s => s.Totals.Dispatched == 1,
            "the dispatcher to start the requested pipeline");
        var dispatched = await server.Client.GetWorkflowHandle($"{id}-req-1")
            .GetResultAsync<DocumentPipelineResult>(rpcOptions: WorkerHarness.Rpc);
        var direct = await server.Client.ExecuteWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(Documents.Pipeline(documents: 2)),
            worker.Options("despite-monitors-" + Guid.NewGuid()));

        Assert.Equal(1, dispatched.DocumentsPublished);
        Assert.Equal(2, direct.DocumentsPublished);
        // One warning each: the scrape endpoint and the health endpoint share the port that is taken.
        var fellBack = worker.Logs.GetSnapshot()
            .Where(r => r.Id.Name == "MonitorFellBack")
            .Select(r => r.Message)
            .ToList();
        Assert.Equal(3, fellBack.Count);
        Assert.Contains(fellBack, m => m.Contains("Monitoring:Memory:WarnFraction", StringComparison.Ordinal));
        Assert.Contains(fellBack, m => m.Contains("Monitoring:Dispatchers:CheckInterval", StringComparison.Ordinal));
        Assert.Contains(fellBack, m => m.Contains("health", StringComparison.Ordinal));
        Assert.Single(worker.Logs.GetSnapshot(), r => r.Id.Name == "ScrapeEndpointFailed");
        var status = worker.Host.Services.GetRequiredService<MonitoringStatus>().Monitors;
        Assert.All(["memory", "dispatchers", "prometheus", "health"], name => Assert.NotNull(status[name]));
        await server.Client.GetWorkflowHandle(id).CancelAsync(new() { Rpc = WorkerHarness.Rpc });
    }

    /// <summary>Fails the worker's first update-with-start, as a server that drops a call would.</summary>
    private sealed class FailFirstAttach : IClientInterceptor
    {
        private int calls;

        public int Calls => Volatile.Read(ref calls);

        public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) =>
            new Outbound(this, nextInterceptor);

        private sealed class Outbound(
            FailFirstAttach owner,
            ClientOutboundInterceptor next) : ClientOutboundInterceptor(next)
        {
            public override Task<WorkflowUpdateHandle<TUpdateResult>>
                StartUpdateWithStartWorkflowAsync<TUpdateResult>(StartUpdateWithStartWorkflowInput input) =>
                Interlocked.Increment(ref owner.calls) == 1
                    ? throw new InvalidOperationException("injected: the server dropped the call")
                    : base.StartUpdateWithStartWorkflowAsync<TUpdateResult>(input);
        }
    }

    /// <summary>
    /// Passes heartbeats on to the worker, or drops them while <see cref="Holding"/>, as if they never arrived.
    /// </summary>
    private sealed class HeldHeartbeats(IDispatcherHeartbeats inner) : IDispatcherHeartbeats
    {
        private volatile bool holding;

        public bool Holding
        {
            get => holding;
            set => holding = value;
        }

        public void Beat(string dispatcherId)
        {
            if (!holding)
            {
                inner.Beat(dispatcherId);
            }
        }

        public void Released(string dispatcherId, int attachment) => inner.Released(dispatcherId, attachment);
    }
}
