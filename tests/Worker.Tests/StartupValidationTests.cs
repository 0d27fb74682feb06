using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Watchtower.Worker.Tests;

public sealed class StartupValidationTests
{
    private const string ExpectedFailure =
        "Temporal:GracefulShutdownTimeout must be between 00:00:00 and 01:00:00 (got -00:00:01).";

    [Fact]
    public async Task StartAsync_NegativeGracefulShutdownTimeout_StopsStartupNamingSetting()
    {
        using var host = CreateBuilder("-00:00:01").Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(
            () => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(ExpectedFailure, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_MonitoringPortOutOfRange_StopsStartupNamingSetting()
    {
        using var host = CreateBuilder("00:00:30", ("MONITORING_PORT", "65536")).Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(
            () => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(
            "Monitoring:Port (MONITORING_PORT) must be between 1 and 65535; got 65536.",
            ex.Message,
            StringComparison.Ordinal);
    }

    private static HostApplicationBuilder CreateBuilder(
        string gracefulShutdownTimeout,
        params (string Key, string Value)[] more)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Temporal:GracefulShutdownTimeout"] = gracefulShutdownTimeout,
        });
        builder.Configuration.AddInMemoryCollection(
            more.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));
        builder.AddDocumentPipelineWorker();
        return builder;
    }
}
