using System.Diagnostics;
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
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("--address");
        start.ArgumentList.Add(address);
        start.Environment.Remove("TEMPORAL_ADDRESS");
        start.Environment.Remove("TEMPORAL_NAMESPACE");

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + path);
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
            throw new TimeoutException($"temporal {string.Join(' ', args)} did not finish within 60 s");
        }

        return new Result(process.ExitCode, await output, await error);
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
