using System.Globalization;
using Temporalio.Client;
using Watchtower.EndToEnd.Tests.Infrastructure;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// The monitoring packages as another team adds them: packed with <c>dotnet pack</c> into a folder feed,
/// referenced by a separate minimal worker (the package README's quick start, nothing from this
/// repository), run against the real dev server, its spans read back from a real Jaeger and its series
/// from its own <c>/metrics</c>.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class PackageTests(DevServerFixture server)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task Packages_MinimalWorkerReferencingOnlyThem_ExportsSpansAndServesMetrics()
    {
        server.RequireCli();
        var root = Path.Combine(Path.GetTempPath(), "watchtower-packages-" + Guid.NewGuid().ToString("N"));
        var feed = Directory.CreateDirectory(Path.Combine(root, "feed")).FullName;
        var app = Directory.CreateDirectory(Path.Combine(root, "app")).FullName;

        // A version of its own, so that no package cached from an earlier run can stand in.
        var suffix = "e2e." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
        var version = "0.1.0-" + suffix;
        await using var jaeger = await JaegerServer.StartAsync();
        try
        {
            foreach (var project in new[] { "Instrumentation/Monitoring.csproj", "Hosting/Monitoring.Hosting.csproj" })
            {
                await DotnetAsync(
                    TestTools.RepositoryRoot(),
                    "pack", Path.Combine("src", "Monitoring", project),
                    "-c", "Release", "-o", feed, "-p:VersionSuffix=" + suffix);
            }

            Assert.True(
                File.Exists(Path.Combine(feed, $"Watchtower.Monitoring.{version}.nupkg")),
                "the instrumentation package");
            Assert.True(
                File.Exists(Path.Combine(feed, $"Watchtower.Monitoring.Hosting.{version}.nupkg")),
                "the hosting package");
            await WriteAppAsync(app, feed, Path.Combine(root, "packages"), version);
            await DotnetAsync(app, "build", "-c", "Release", "-o", Path.Combine(app, "out"));

            var taskQueue = "package-" + Guid.NewGuid().ToString("N");
            var serviceName = "package-e2e-" + Guid.NewGuid().ToString("N")[..8];
            var port = TestTools.FreePort();
            await using var worker = ExternalProcess.Start(
                "dotnet",
                [Path.Combine(app, "out", "PackagedWorker.dll")],
                info =>
                {
                    info.Environment["TEMPORAL_ADDRESS"] = server.TargetHost;
                    info.Environment["TASK_QUEUE"] = taskQueue;
                    info.Environment["MONITORING_PORT"] = port.ToString(CultureInfo.InvariantCulture);
                    info.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = jaeger.OtlpGrpcEndpoint;
                    info.Environment["OTEL_SERVICE_NAME"] = serviceName;
                    info.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "200";
                });
            var metrics = new Uri($"http://127.0.0.1:{port}/metrics");
            try
            {
                // A freshly built app starts cold, and the parallel tests share two cores with it.
                await Eventually.UntilAsync(
                    async () => worker.HasExited || await TestTools.AnswersAsync(metrics),
                    up => up,
                    "the packaged worker to serve /metrics",
                    TimeSpan.FromSeconds(90));
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException(e.Message + "\nIts output so far:\n" + worker.Output, e);
            }

            Assert.False(worker.HasExited, "the packaged worker stopped:\n" + worker.Output);

            var client = await TemporalClient.ConnectAsync(new(server.TargetHost));
            var result = await client.ExecuteWorkflowAsync<string>(
                "Greeting",
                ["package"],
                new WorkflowOptions("package-" + Guid.NewGuid().ToString("N"), taskQueue) { Rpc = WorkerHarness.Rpc });
            Assert.Equal("Hello, package", result);

            var trace = await Eventually.UntilAsync(
                async () => (await jaeger.TracesAsync(serviceName))
                    .FirstOrDefault(t => t.Spans.Any(s => s.Name == "RunActivity:Compose")),
                t => t?.Spans.Any(s => s.Name == "RunWorkflow:Greeting") == true,
                "Jaeger to hold the packaged worker's trace");
            var byId = trace!.Spans.ToDictionary(s => s.SpanId);
            var activity = Assert.Single(trace.Spans, s => s.Name == "RunActivity:Compose");
            Assert.Equal("StartActivity:Compose", byId[activity.ParentId!].Name);

            var scraped = await Eventually.UntilAsync(
                () => Http.GetStringAsync(metrics, TestContext.Current.CancellationToken),
                text => text.Contains("watchtower_workflows_closed_total", StringComparison.Ordinal)
                    && text.Contains("temporal_worker_task_slots_available", StringComparison.Ordinal),
                "the packaged worker's scrape to show the run and the SDK's own metrics");
            Assert.Matches(
                $"watchtower_workflows_closed_total\\{{[^}}]*outcome=\"completed\""
                + $"[^}}]*task_queue=\"{taskQueue}\"[^}}]*\\}} 1",
                scraped);
            Assert.Matches($"watchtower_activity_duration_seconds_count\\{{[^}}]*activity_type=\"Compose\"", scraped);
            Assert.Matches($"temporal_worker_task_slots_available\\{{[^}}]*task_queue=\"{taskQueue}\"", scraped);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// A worker in a folder of its own, outside the repository (no Directory.Build.props or central package
    /// versions of ours reach it), that gets our packages from the folder feed only. The rest of its packages
    /// come from this machine's NuGet cache as a read-only fallback, so nothing is downloaded again.
    /// </summary>
    private static async Task WriteAppAsync(string app, string feed, string packages, string version)
    {
        var cancel = TestContext.Current.CancellationToken;
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            await File.WriteAllTextAsync(Path.Combine(app, name), "<Project />\n", cancel);
        }

        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{packages}" />
              </config>
              <fallbackPackageFolders>
                <add key="cache" value="{cache}" />
              </fallbackPackageFolders>
              <packageSources>
                <add key="watchtower" value="{feed}" />
              </packageSources>
            </configuration>
            """, cancel);
        await File.WriteAllTextAsync(Path.Combine(app, "PackagedWorker.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Watchtower.Monitoring.Hosting" Version="{version}" />
                <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.0" />
              </ItemGroup>
            </Project>
            """, cancel);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            using Microsoft.Extensions.DependencyInjection;
            using Microsoft.Extensions.Hosting;
            using Temporalio.Activities;
            using Temporalio.Extensions.Hosting;
            using Temporalio.Workflows;

            var builder = Host.CreateApplicationBuilder(args);
            builder.AddTemporalMonitoring()
                .AddPrometheusScrapeEndpoint()
                .AddOtlpExportFromEnvironment();
            builder.Services
                .AddHostedTemporalWorker(
                    builder.Configuration["TEMPORAL_ADDRESS"]!,
                    "default",
                    builder.Configuration["TASK_QUEUE"]!)
                .AddWorkflow<Greeting>()
                .AddStaticActivities(typeof(Greeting));
            await builder.Build().RunAsync();

            [Workflow]
            public sealed class Greeting
            {
                [WorkflowRun]
                public Task<string> RunAsync(string name) =>
                    Workflow.ExecuteActivityAsync(
                        () => Compose(name),
                        new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });

                [Activity]
                public static string Compose(string name) => $"Hello, {name}";
            }
            """, cancel);
    }

    private static async Task DotnetAsync(string directory, params string[] args)
    {
        var (exitCode, output, error) = await ExternalProcess.RunAsync(
            "dotnet", args, configure: info => info.WorkingDirectory = directory, timeout: TimeSpan.FromMinutes(4));
        Assert.True(exitCode == 0, $"dotnet {string.Join(' ', args)} failed ({exitCode}):\n{output}\n{error}");
    }
}
