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
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ChromiumArgs,
        });
        var page = await browser.NewPageAsync();
        try
        {
            await page.GotoAsync(
                $"http://127.0.0.1:{server.UiPort}/namespaces/default/workflows/{id}",
                new() { Timeout = 60_000 });

            var visible = new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 30_000 };
            await page.GetByText(id).First.WaitForAsync(visible);
            await page.GetByText("Running", new() { Exact = true }).First.WaitForAsync(visible);

            // UI 2.54 shows the workflow's current details (markdown, rendered) under "User Metadata".
            await page.GetByText("User Metadata", new() { Exact = true }).First.ClickAsync(new() { Timeout = 30_000 });
            // Summary and details are markdown, each rendered inside a sandboxed frame of its own.
            await Eventually.UntilAsync(
                async () =>
                {
                    var text = string.Empty;
                    foreach (var frame in page.Frames)
                    {
                        text += await frame.InnerTextAsync("body") + "\n";
                    }

                    return text.Contains("Web UI test pipeline", StringComparison.Ordinal)
                        && text.Contains("Stage: AwaitingReview", StringComparison.Ordinal)
                        && text.Contains("Documents analysed: 3 of 3", StringComparison.Ordinal);
                },
                shown => shown,
                "the Web UI to render the summary and current details (stage, documents analysed)");
        }
        finally
        {
            try
            {
                // Kept next to the test binaries: what the page looked like when the test ended.
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

            await handle.TerminateAsync("web UI test done");
        }
    }
}
