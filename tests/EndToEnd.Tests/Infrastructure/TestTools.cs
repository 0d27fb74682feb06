using Watchtower.Tests.Shared;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Finds the external binaries the end-to-end tests need (under CI a missing one fails the run), and
/// the free ports, repository files and starting servers they wait on.
/// </summary>
internal static class TestTools
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? TemporalCli => Find("TEMPORAL_CLI_PATH", "temporal");

    public static string? TemporalTestServer => Find("TEMPORAL_TEST_SERVER_PATH", "temporal-test-server");

    public static string? Jaeger => Find("JAEGER_PATH", "jaeger");

    public static string? Promtool => Find("PROMTOOL_PATH", "promtool");

    public static string? Prometheus => Find("PROMETHEUS_PATH", "prometheus");

    public static string? Chromium =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured
            ? configured
            : ChromiumPaths.FirstOrDefault(File.Exists);

    private static readonly string[] ChromiumPaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    /// <summary>
    /// Deletes a test's temporary directory, as far as it can: a server still exiting may hold a file open, and
    /// the OS temp cleaner takes what is left.
    /// </summary>
    public static void DeleteDirectoryBestEffort(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort, by design.
        }
    }

    /// <summary>
    /// Skips the test locally when a tool is missing; fails it under CI, where a skip would hide a broken setup.
    /// </summary>
    public static string Require(string? path, string what)
    {
        if (path is not null && File.Exists(path))
        {
            return path;
        }

        var message = $"{what} not found; run `bash eng/install-tools.sh` "
            + "(and `apt-get install chromium prometheus` for the browser, promtool and Prometheus tests)";
        if (IsCi)
        {
            Assert.Fail(message);
        }

        Assert.Skip(message);
        return null!;
    }

    /// <summary>A loopback port nothing listens on, from below the kernel's range for outgoing connections.</summary>
    public static int FreePort() => ListenPorts.Free();

    /// <summary>The worker's Prometheus scrape, as Prometheus would read it.</summary>
    public static Task<string> ScrapeAsync(int port) =>
        Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), TestContext.Current.CancellationToken);

    /// <summary>
    /// Whether a server that is starting answers a GET with success yet: not listening, or too slow
    /// to answer within the client's timeout while it starts, is "not yet".
    /// </summary>
    public static async Task<bool> AnswersAsync(Uri uri)
    {
        try
        {
            using var response = await Http.GetAsync(uri, TestContext.Current.CancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException
            || (e is TaskCanceledException && !TestContext.Current.CancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>A run's current details as the Web UI reads them: the SDK's built-in metadata query.</summary>
    public static async Task<string> CurrentDetailsAsync(Temporalio.Client.WorkflowHandle handle) =>
        (await handle.QueryAsync<Temporalio.Api.Sdk.V1.WorkflowMetadata>(
            "__temporal_workflow_metadata", [], new() { Rpc = WorkerHarness.Rpc })).CurrentDetails;

    /// <summary>The repository's root (where Watchtower.slnx is), for tests that read its files.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Watchtower.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            "repository root (Watchtower.slnx) not found above " + AppContext.BaseDirectory);
    }

    private static string? Find(string variable, string name)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "bin", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
