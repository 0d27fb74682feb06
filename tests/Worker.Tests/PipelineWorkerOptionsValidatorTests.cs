using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Watchtower.Worker.Settings;

namespace Watchtower.Worker.Tests;

public sealed class PipelineWorkerOptionsValidatorTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly string emptyConfigFile;

    public PipelineWorkerOptionsValidatorTests()
    {
        emptyConfigFile = temp.WriteFile("temporal.toml", string.Empty);
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var result = Validate(new PipelineWorkerOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_RemoteAddressAndExistingCli_Succeeds()
    {
        var cli = temp.WriteFile("bin/temporal", "#!/bin/sh\n");
        var options = new PipelineWorkerOptions { Address = "my-ns.a1b2c.tmprl.cloud:7233" };
        options.DevServer.CliPath = cli;

        var result = Validate(options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_NegativeGracefulShutdownTimeout_NamesSettingAndBounds()
    {
        var result = Validate(new PipelineWorkerOptions { GracefulShutdownTimeout = TimeSpan.FromSeconds(-1) });

        Assert.Equal(
            ["Temporal:GracefulShutdownTimeout must be between 00:00:00 and 01:00:00 (got -00:00:01)."],
            result.Failures);
    }

    [Theory]
    [InlineData("", "00:00:10", "00:00:30", "Temporal:Dispatcher:Id must be 1-200 characters without spaces (got '').")]
    [InlineData(
        "my dispatcher",
        "00:00:10",
        "00:00:30",
        "Temporal:Dispatcher:Id must be 1-200 characters without spaces (got 'my dispatcher').")]
    [InlineData(
        "d",
        "00:00:00.500",
        "00:00:30",
        "Temporal:Dispatcher:HeartbeatInterval must be between 00:00:01 and 00:10:00 (got 00:00:00.5000000).")]
    [InlineData(
        "d",
        "00:00:01.500",
        "00:00:30",
        "Temporal:Dispatcher:HeartbeatInterval must be whole seconds (got 00:00:01.5000000).")]
    [InlineData(
        "d",
        "00:00:10",
        "00:00:20",
        "Temporal:Dispatcher:StaleAfter must be more than twice Temporal:Dispatcher:HeartbeatInterval "
        + "(00:00:10) and at most 01:00:00 (got 00:00:20).")]
    public void Validate_BadDispatcherSettings_NamesTheSetting(
        string id,
        string interval,
        string staleAfter,
        string expected)
    {
        var options = new PipelineWorkerOptions();
        options.Dispatcher.Id = id;
        options.Dispatcher.HeartbeatInterval =
            TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture);
        options.Dispatcher.StaleAfter = TimeSpan.Parse(staleAfter, System.Globalization.CultureInfo.InvariantCulture);

        var result = Validate(options);

        Assert.Equal([expected], result.Failures);
    }

    [Fact]
    public void Validate_DispatcherDisabled_IgnoresItsSettings()
    {
        var options = new PipelineWorkerOptions();
        options.Dispatcher.Enabled = false;
        options.Dispatcher.Id = string.Empty;

        var result = Validate(options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_MaxDelayBelowInitialDelay_NamesMaxDelay()
    {
        var options = new PipelineWorkerOptions();
        options.ConnectRetry.InitialDelay = TimeSpan.FromSeconds(10);
        options.ConnectRetry.MaxDelay = TimeSpan.FromSeconds(5);

        var result = Validate(options);

        Assert.Equal(
            ["Temporal:ConnectRetry:MaxDelay must be between 00:00:10 and 00:30:00 (got 00:00:05)."],
            result.Failures);
    }

    [Fact]
    public void Validate_DevServerPortZero_NamesSetting()
    {
        var options = new PipelineWorkerOptions();
        options.DevServer.Port = 0;

        var result = Validate(options);

        Assert.Equal(["Temporal:DevServer:Port must be a TCP port between 1 and 65535 (got 0)."], result.Failures);
    }

    [Fact]
    public void Validate_PortEqualsUiPort_NamesBothSettings()
    {
        var options = new PipelineWorkerOptions();
        options.DevServer.Port = 9000;
        options.DevServer.UiPort = 9000;

        var result = Validate(options);

        Assert.Equal(
            ["Temporal:DevServer:Port and Temporal:DevServer:UiPort must differ (both are 9000)."],
            result.Failures);
    }

    [Fact]
    public void Validate_SeveralBadSettings_ReportsEach()
    {
        var options = new PipelineWorkerOptions { GracefulShutdownTimeout = TimeSpan.FromHours(2) };
        options.DevServer.UiPort = 70000;

        var result = Validate(options);

        Assert.Equal(
            [
                "Temporal:GracefulShutdownTimeout must be between 00:00:00 and 01:00:00 (got 02:00:00).",
                "Temporal:DevServer:UiPort must be a TCP port between 1 and 65535 (got 70000).",
            ],
            result.Failures);
    }

    [Theory]
    [InlineData("http://x:1")]
    [InlineData("nohost")]
    [InlineData("host:0")]
    [InlineData(":7233")]
    public void Validate_AddressNotHostPort_NamesSettingAndValue(string address)
    {
        var result = Validate(new PipelineWorkerOptions { Address = address });

        Assert.Equal(
            [
                $"Temporal:Address (TEMPORAL_ADDRESS) '{address}' must be host:port, "
                + "for example localhost:7233 or my-ns.a1b2c.tmprl.cloud:7233.",
            ],
            result.Failures);
    }

    [Fact]
    public void Validate_AddressVariableNotHostPort_NamesSetting()
    {
        var result = Validate(new PipelineWorkerOptions(), new() { ["TEMPORAL_ADDRESS"] = "http://x:1" });

        Assert.Equal(
            [
                "Temporal:Address (TEMPORAL_ADDRESS) 'http://x:1' must be host:port, "
                + "for example localhost:7233 or my-ns.a1b2c.tmprl.cloud:7233.",
            ],
            result.Failures);
    }

    [Fact]
    public void Validate_ClientCertWithoutKey_NamesBothSettings()
    {
        var cert = temp.WriteFile("client.pem", "not really a certificate");

        var result = Validate(
            new PipelineWorkerOptions { Address = "localhost:7233" },
            new() { ["TEMPORAL_TLS_CLIENT_CERT_PATH"] = cert });

        Assert.Equal(
            [
                "Temporal:Tls:ClientCertPath (TEMPORAL_TLS_CLIENT_CERT_PATH) and Temporal:Tls:ClientKeyPath "
                + "(TEMPORAL_TLS_CLIENT_KEY_PATH) must be set together for mTLS.",
            ],
            result.Failures);
    }

    [Fact]
    public void Validate_MissingCliPath_NamesSettingAndPath()
    {
        var missing = Path.Combine(temp.Path, "no-such-temporal");

        var result = Validate(new PipelineWorkerOptions(), new() { ["TEMPORAL_CLI_PATH"] = missing });

        Assert.Equal([$"Temporal:DevServer:CliPath (TEMPORAL_CLI_PATH) '{missing}' does not exist."], result.Failures);
    }

    [Fact]
    public void Validate_MissingProfile_FailsWithProfileSetting()
    {
        var result = Validate(new PipelineWorkerOptions { Profile = "nope" });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(
            "Temporal connection settings could not be loaded (check TEMPORAL_PROFILE / Temporal:Profile",
            failure,
            StringComparison.Ordinal);
    }

    private ValidateOptionsResult Validate(PipelineWorkerOptions options, Dictionary<string, string?>? values = null)
    {
        values ??= [];
        values.TryAdd("TEMPORAL_CONFIG_FILE", emptyConfigFile);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new PipelineWorkerOptionsValidator(configuration).Validate(null, options);
    }
}
