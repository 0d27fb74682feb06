using System.Text.Json;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>Runs the real <c>temporal</c> CLI against a server, as a user would from a terminal.</summary>
internal sealed class TemporalCli(string path, string address)
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}; stdout: {Output}; stderr: {Error}";
    }

    public async Task<Result> RunAsync(params string[] args)
    {
        var (exitCode, output, error) = await ExternalProcess.RunAsync(
            path,
            [.. args, "--address", address],
            configure: start =>
            {
                start.Environment.Remove("TEMPORAL_ADDRESS");
                start.Environment.Remove("TEMPORAL_NAMESPACE");
            });
        return new Result(exitCode, output, error);
    }

    /// <summary>Runs a command that must succeed, with <c>-o json</c>, and parses its output.</summary>
    public async Task<JsonElement> JsonAsync(params string[] args)
    {
        var result = await RunAsync([.. args, "-o", "json"]);
        Assert.True(result.ExitCode == 0, $"temporal {string.Join(' ', args)} failed: {result}");
        using var document = JsonDocument.Parse(result.Output);
        return document.RootElement.Clone();
    }

    public async Task<string> TextAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"temporal {string.Join(' ', args)} failed: {result}");
        return result.Output;
    }
}
