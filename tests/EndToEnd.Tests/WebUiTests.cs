using Microsoft.Playwright;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>The dev server's Web UI, seen for real in headless Chromium.</summary>
public sealed class WebUiTests(DevServerFixture server)
{
    private static readonly string[] ChromiumArgs =
    [
        // This machine has no network beyond loopback; these keep Chromium from trying to reach out.
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task WebUi_PipelineWorkflowPage_ShowsIdStatusAndCurrentDetails()
    {
        server.RequireCli();
        var chromium = TestTools.Require(TestTools.Chromium, "Chromium");
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var id = "ui-" + Guid.NewGuid();
        var input = Documents.Pipeline(documents: 3, reviewWindowSeconds: 600);
        var options = worker.Options(id);
        options.StaticSummary = "Web UI test pipeline";
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input),
            options);
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "AwaitingReview stage");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright, chromium);
        var page = await browser.NewPageAsync();
        try
        {
            await OpenRunPageAsync(page, id);

            var visible = new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 30_000 };
            await page.GetByText(id).First.WaitForAsync(visible);
            await page.GetByText("Running", new() { Exact = true }).First.WaitForAsync(visible);

            // UI 2.54 shows the workflow's current details (markdown, rendered) under "User Metadata".
            await page.GetByText("User Metadata", new() { Exact = true }).First.ClickAsync(new() { Timeout = 30_000 });
            // Summary and details are markdown, each rendered inside a sandboxed frame of its own.
            await Eventually.UntilAsync(
                () => FramesTextAsync(page),
                text => text.Contains("Web UI test pipeline", StringComparison.Ordinal)
                    && text.Contains("Stage: AwaitingReview", StringComparison.Ordinal)
                    && text.Contains("Documents analysed: 3 of 3", StringComparison.Ordinal),
                "the Web UI to render the summary and current details (stage, documents analysed)");
        }
        finally
        {
            await ScreenshotAsync(page, id);
            await handle.TerminateAsync("web UI test done");
        }
    }

    /// <summary>
    /// From the run's page in the Web UI to its trace: the current details end with a link built from
    /// <c>Monitoring:TraceLinkTemplate</c>, and following it in the browser opens the trace the worker exported for
    /// that run. The template points at Jaeger's API rather than its UI page: the Jaeger build the tests run has no
    /// UI assets, and the API shows in the browser the very trace a UI page would draw.
    /// </summary>
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task WebUi_RunPageWithTraceLinkTemplate_LinkOpensTheRunsTraceInJaeger()
    {
        server.RequireCli();
        var chromium = TestTools.Require(TestTools.Chromium, "Chromium");
        await using var jaeger = await JaegerServer.StartAsync();
        var service = "watchtower-ui-" + Guid.NewGuid().ToString("N")[..8];
        var settings = jaeger.ExportSettings(service);
        settings["Monitoring:TraceLinkTemplate"] = jaeger.QueryUrl + "/api/traces/{traceId}";
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost, settings: settings);
        var id = "ui-trace-" + Guid.NewGuid();

        // Started as the CLI starts it, with no trace of its own: the worker's trace is the run's.
        var input = Documents.Pipeline(documents: 2, reviewWindowSeconds: 600);
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options(id));
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress),
            p => p.Stage == PipelineStage.AwaitingReview,
            "AwaitingReview stage");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright, chromium);
        var page = await browser.NewPageAsync();
        try
        {
            await OpenRunPageAsync(page, id);
            await page.GetByText("User Metadata", new() { Exact = true }).First.ClickAsync(new() { Timeout = 30_000 });
            var href = await Eventually.UntilAsync(
                () => TraceLinkAsync(page),
                link => link is not null,
                "the Web UI to render the trace link in the run's current details") ?? string.Empty;
            var traceId = href[(href.LastIndexOf('/') + 1)..];
            Assert.Equal(jaeger.QueryUrl + "/api/traces/" + traceId, href);
            await Eventually.UntilAsync(
                () => FramesTextAsync(page),
                text => text.Contains("Stage: AwaitingReview", StringComparison.Ordinal),
                "the run's own details beside the link");

            // The run ends, so its RunWorkflow span is exported too; then the link is followed.
            await handle.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "alice")));
            await handle.GetResultAsync(rpcOptions: WorkerHarness.Rpc);
            var trace = await Eventually.UntilAsync(
                () => jaeger.TraceAsync(System.Diagnostics.ActivityTraceId.CreateFromString(traceId)),
                t => t?.Spans.Any(s => s.Name == "RunWorkflow:DocumentPipeline") == true,
                "Jaeger to hold the run's trace");
            var run = Assert.Single(trace!.Spans, s => s.Name == "RunWorkflow:DocumentPipeline");
            Assert.Equal(id, run.Tags["temporalWorkflowID"]);

            await page.GotoAsync(href, new() { Timeout = 60_000 });
            var shown = await page.InnerTextAsync("body");
            Assert.Contains("\"traceID\":\"" + traceId + "\"", shown, StringComparison.Ordinal);
            Assert.Contains("RunWorkflow:DocumentPipeline", shown, StringComparison.Ordinal);
            Assert.Contains(id, shown, StringComparison.Ordinal);
        }
        finally
        {
            await ScreenshotAsync(page, id);
        }
    }

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright, string chromium) =>
        playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ChromiumArgs });

    private Task<IResponse?> OpenRunPageAsync(IPage page, string id) =>
        page.GotoAsync(
            $"http://127.0.0.1:{server.UiPort}/namespaces/default/workflows/{id}", new() { Timeout = 60_000 });

    /// <summary>Kept next to the test binaries: what the page looked like when the test ended.</summary>
    private static async Task ScreenshotAsync(IPage page, string id)
    {
        try
        {
            await page.ScreenshotAsync(new()
            {
                Path = Path.Combine(AppContext.BaseDirectory, $"webui-{id}.png"),
                FullPage = true,
            });
        }
        catch (PlaywrightException)
        {
            // A crashed page must not hide the failure that crashed it.
        }
    }

    /// <summary>The text of every frame: summary and details each render in a sandboxed frame of their own.</summary>
    private static async Task<string> FramesTextAsync(IPage page)
    {
        var text = string.Empty;
        foreach (var frame in page.Frames)
        {
            text += await frame.InnerTextAsync("body") + "\n";
        }

        return text;
    }

    /// <summary>The trace link in the rendered details: markdown lives in sandboxed frames of its own.</summary>
    private static async Task<string?> TraceLinkAsync(IPage page)
    {
        foreach (var frame in page.Frames)
        {
            var link = frame.Locator("a", new() { HasTextString = "Trace " });
            if (await link.CountAsync() > 0)
            {
                return await link.First.GetAttributeAsync("href");
            }
        }

        return null;
    }
}
