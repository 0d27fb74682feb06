using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Watchtower.Worker.Settings;

namespace Watchtower.Worker.Tests;

/// <summary>The worker executable as a user runs it: bad settings, and how long it takes to stop.</summary>
public sealed class WorkerProcessTests
{
    public static TheoryData<string[], string> BadSettings => new()
    {
        {
            ["--Temporal:GracefulShutdownTimeout=-00:00:01"],
            "Temporal:GracefulShutdownTimeout must be between 00:00:00 and 01:00:00 (got -00:00:01)."
        },
        {
            ["--Monitoring:Port=70000"],
            "Monitoring:Port (MONITORING_PORT) must be between 1 and 65535; got 70000."
        },
        {
            ["--Temporal:DevServer:Port=seven"],
            "Failed to convert configuration value 'seven' at 'Temporal:DevServer:Port'"
        },
        { ["--TEMPORAL_PROFILE=nowhere"], "Temporal connection settings could not be loaded" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Worker_BadSetting_OneLineNamingItAndExitCode78(string[] args, string expected)
    {
        var (exitCode, output, error) = await RunWorkerAsync(args);

        Assert.Equal(ConfigurationErrors.ExitCode, exitCode);
        var line = Assert.Single(
            error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("Configuration error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void HostOptions_Defaults_ShutdownFitsTheThirtySecondStopPeriod()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"));
        builder.AddDocumentPipelineWorker();
        using var host = builder.Build();

        var shutdown = host.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        var graceful =
            host.Services.GetRequiredService<IOptions<PipelineWorkerOptions>>().Value.GracefulShutdownTimeout;

        Assert.True(
            shutdown <= TimeSpan.FromSeconds(30), $"the host waits {shutdown} to stop; container runtimes give 30 s");
        Assert.Equal(graceful + PipelineWorkerOptions.ShutdownMargin, shutdown);
        using var appsettings = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")));
        Assert.Equal(
            PipelineWorkerOptions.DefaultGracefulShutdownTimeout,
            TimeSpan.Parse(
                appsettings.RootElement.GetProperty("Temporal").GetProperty("GracefulShutdownTimeout").GetString()!,
                System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Runs the worker built beside the tests; a worker that does not stop by itself is killed.</summary>
    private static async Task<(int ExitCode, string Output, string Error)> RunWorkerAsync(string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Watchtower.Worker"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Nothing may reach a real server or a developer's own settings; the scrape port is left free.
        info.Environment["TEMPORAL_ADDRESS"] = "127.0.0.1:1";
        info.Environment["TEMPORAL_CONFIG_FILE"] = Path.Combine(Path.GetTempPath(), "watchtower-no-such-config.toml");
        info.Environment["MONITORING_ENABLED"] = "false";
        info.Environment["MONITORING_HEALTH"] = "false";
        using var process = Process.Start(info)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the worker did not stop within 60 s with {string.Join(' ', args)}");
        }

        return (process.ExitCode, await output, await error);
    }
}
