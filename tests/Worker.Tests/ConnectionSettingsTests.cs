using Microsoft.Extensions.Configuration;
using Watchtower.Worker.Connection;
using Watchtower.Worker.Settings;
using Watchtower.Workflows;

namespace Watchtower.Worker.Tests;

public sealed class ConnectionSettingsTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly string emptyConfigFile;

    public ConnectionSettingsTests()
    {
        // An empty temporal.toml keeps the developer's own profiles out of these tests.
        emptyConfigFile = temp.WriteFile("temporal.toml", string.Empty);
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Resolve_NothingConfigured_IsLocalWithDefaults()
    {
        var settings = ConnectionSettings.Resolve(new PipelineWorkerOptions(), Configuration());

        Assert.True(settings.IsLocal);
        Assert.Equal("document-pipeline", settings.TaskQueue);
        Assert.Equal("default", settings.Namespace);
        Assert.Null(settings.ConnectOptions.ApiKey);
        Assert.Null(settings.ConnectOptions.Tls);
        Assert.Null(settings.CliPath);
    }

    [Fact]
    public void Resolve_TemporalVariables_AreUsed()
    {
        var settings = ConnectionSettings.Resolve(new PipelineWorkerOptions(), Configuration(new()
        {
            ["TEMPORAL_ADDRESS"] = "env-host:7233",
            ["TEMPORAL_NAMESPACE"] = "env-ns",
            ["TEMPORAL_TASK_QUEUE"] = "env-queue",
            ["TEMPORAL_CLI_PATH"] = "/opt/temporal",
        }));

        Assert.False(settings.IsLocal);
        Assert.Equal("env-host:7233", settings.ConnectOptions.TargetHost);
        Assert.Equal("env-ns", settings.Namespace);
        Assert.Equal("env-queue", settings.TaskQueue);
        Assert.Equal("/opt/temporal", settings.CliPath);
    }

    [Fact]
    public void Resolve_LowercaseTemporalVariables_AreUsed()
    {
        // Configuration keys are case-insensitive, so the SDK must see them upper-cased.
        var settings = ConnectionSettings.Resolve(new PipelineWorkerOptions(), Configuration(new()
        {
            ["temporal_address"] = "env-host:7233",
        }));

        Assert.Equal("env-host:7233", settings.ConnectOptions.TargetHost);
    }

    [Fact]
    public void Resolve_TemporalSection_OverridesTemporalVariables()
    {
        var options = new PipelineWorkerOptions
        {
            Address = " section-host:7233 ",
            Namespace = "section-ns",
            TaskQueue = "section-queue",
        };
        options.DevServer.CliPath = "/section/temporal";

        var settings = ConnectionSettings.Resolve(options, Configuration(new()
        {
            ["TEMPORAL_ADDRESS"] = "env-host:7233",
            ["TEMPORAL_NAMESPACE"] = "env-ns",
            ["TEMPORAL_TASK_QUEUE"] = "env-queue",
            ["TEMPORAL_CLI_PATH"] = "/env/temporal",
        }));

        Assert.Equal("section-host:7233", settings.ConnectOptions.TargetHost);
        Assert.Equal("section-ns", settings.Namespace);
        Assert.Equal("section-queue", settings.TaskQueue);
        Assert.Equal("/section/temporal", settings.CliPath);
    }

    [Fact]
    public void Resolve_TemporalApiKeyVariable_SetsApiKeyAndTls()
    {
        var settings = ConnectionSettings.Resolve(new PipelineWorkerOptions(), Configuration(new()
        {
            ["TEMPORAL_ADDRESS"] = "my-ns.a1b2c.tmprl.cloud:7233",
            ["TEMPORAL_API_KEY"] = "secret-key",
        }));

        Assert.Equal("secret-key", settings.ConnectOptions.ApiKey);
        Assert.NotNull(settings.ConnectOptions.Tls);
    }

    [Fact]
    public void Resolve_ApiKeyOption_SetsApiKeyAndTls()
    {
        var options = new PipelineWorkerOptions { Address = "my-ns.a1b2c.tmprl.cloud:7233", ApiKey = "section-key" };

        var settings = ConnectionSettings.Resolve(options, Configuration(new() { ["TEMPORAL_API_KEY"] = "env-key" }));

        Assert.Equal("section-key", settings.ConnectOptions.ApiKey);
        Assert.NotNull(settings.ConnectOptions.Tls);
    }

    [Fact]
    public void Resolve_MissingProfile_ThrowsNamingProfileSetting()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ConnectionSettings.Resolve(
            new PipelineWorkerOptions(), Configuration(new() { ["TEMPORAL_PROFILE"] = "does-not-exist" })));

        Assert.Contains("TEMPORAL_PROFILE", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("Temporal connection settings could not be loaded", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ProfileVariable_ReadsProfileFromConfigFile()
    {
        var configFile = temp.WriteFile(
            "profiles.toml",
            "[profile.staging]\naddress = \"staging:7233\"\nnamespace = \"stg\"\n");

        var settings = ConnectionSettings.Resolve(new PipelineWorkerOptions(), Configuration(new()
        {
            ["TEMPORAL_CONFIG_FILE"] = configFile,
            ["TEMPORAL_PROFILE"] = "staging",
        }));

        Assert.False(settings.IsLocal);
        Assert.Equal("staging:7233", settings.ConnectOptions.TargetHost);
        Assert.Equal("stg", settings.Namespace);
    }

    [Fact]
    public void Resolve_ProfileOption_OverridesProfileVariable()
    {
        var configFile = temp.WriteFile(
            "profiles.toml",
            "[profile.staging]\naddress = \"staging:7233\"\n\n[profile.prod]\naddress = \"prod:7233\"\n");

        var settings = ConnectionSettings.Resolve(new PipelineWorkerOptions { Profile = "prod" }, Configuration(new()
        {
            ["TEMPORAL_CONFIG_FILE"] = configFile,
            ["TEMPORAL_PROFILE"] = "staging",
        }));

        Assert.Equal("prod:7233", settings.ConnectOptions.TargetHost);
    }

    [Fact]
    public void Resolve_AddressVariable_OverridesProfile()
    {
        var configFile = temp.WriteFile(
            "profiles.toml",
            "[profile.staging]\naddress = \"staging:7233\"\nnamespace = \"stg\"\n");

        var settings = ConnectionSettings.Resolve(new PipelineWorkerOptions(), Configuration(new()
        {
            ["TEMPORAL_CONFIG_FILE"] = configFile,
            ["TEMPORAL_PROFILE"] = "staging",
            ["TEMPORAL_ADDRESS"] = "env-host:7233",
        }));

        Assert.Equal("env-host:7233", settings.ConnectOptions.TargetHost);
        Assert.Equal("stg", settings.Namespace);
    }

    [Fact]
    public void Resolve_Always_UsesPipelineDataConverter()
    {
        var settings = ConnectionSettings.Resolve(new PipelineWorkerOptions(), Configuration());

        Assert.Same(PipelineDataConverter.Instance, settings.ConnectOptions.DataConverter);
    }

    [Fact]
    public void Resolve_SectionKeysWithColons_AreNotPassedAsVariables()
    {
        // "Temporal:Address" is bound into the options by the host; Resolve must not read it as TEMPORAL_*.
        var settings = ConnectionSettings.Resolve(new PipelineWorkerOptions(), Configuration(new()
        {
            ["Temporal:Address"] = "section-host:7233",
        }));

        Assert.True(settings.IsLocal);
    }

    private IConfiguration Configuration(Dictionary<string, string?>? values = null)
    {
        values ??= [];
        values.TryAdd("TEMPORAL_CONFIG_FILE", emptyConfigFile);
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }
}
