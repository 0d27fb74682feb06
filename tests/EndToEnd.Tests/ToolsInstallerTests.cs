using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using Watchtower.EndToEnd.Tests.Infrastructure;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// <c>eng/install-tools.sh</c> as on a fresh clone: it downloads the pinned releases from a local server that
/// serves archives with the official names, URL paths and layouts (small shell scripts stand in for the
/// binaries), checks them against a copy of <c>eng/tools.lock</c> carrying these archives' checksums, and
/// installs them. Archives are served for every supported platform, so whichever the script picks is there.
/// </summary>
[UnsupportedOSPlatform("windows")] // The script is for Linux and macOS; on Windows every test skips.
public sealed class ToolsInstallerTests : IDisposable
{
    private const string TemporalVersion = "1.9.1";
    private const string TaskVersion = "3.54.0";
    private const string JaegerVersion = "2.13.0";

    // Jaeger v2 archives are attached to the paired v1 release.
    private const string JaegerRelease = "v1.76.0";

    private static readonly string[] Platforms = ["linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64"];

    // System directories only, so tools a developer installed (e.g. in /usr/local/bin or ~/.local/bin) are not found.
    private static readonly string[] SystemPath = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

    // `task` is left out: a system one is often Taskwarrior, which the script tells apart and does not link.
    private static readonly string[] NotExpectedSystemWide = ["temporal", "jaeger"];

    private static readonly string[] ProxyVariables =
        ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"];

    private static readonly string TemporalStandIn =
        $"#!/bin/sh\necho 'temporal version {TemporalVersion} (Server 1.32.0, UI 2.54.1)'\n";
    private static readonly string TaskStandIn =
        $"#!/bin/sh\nif [ \"$1\" = --version ]; then echo {TaskVersion}; "
        + "else echo 'Usage: task [flags...] [task...] (runs Taskfile.yml)'; fi\n";
    private const string JaegerStandIn = "#!/bin/sh\necho 'jaeger stand-in'\n";

    private const UnixFileMode Executable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly string directory =
        Path.Combine(Path.GetTempPath(), "watchtower-tools-" + Guid.NewGuid().ToString("N"));
    private readonly ReleaseServer server = new();

    public ToolsInstallerTests() => Directory.CreateDirectory(directory);

    private string Dest => Path.Combine(directory, "bin");

    private string Lock => Path.Combine(directory, "tools.lock");

    public void Dispose()
    {
        server.Dispose();
        TestTools.DeleteDirectoryBestEffort(directory);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task InstallTools_FreshClone_DownloadsVerifiesAndInstallsPinnedReleases()
    {
        var bash = RequireShellTools();
        PublishOfficialReleases();
        WriteLockWithServedChecksums();

        var (exitCode, output, error) = await RunAsync(bash);

        Assert.True(exitCode == 0, $"install-tools.sh failed ({exitCode}):\n{output}\n{error}");
        Assert.Contains("temporal: installed", output, StringComparison.Ordinal);
        Assert.Contains("task: installed", output, StringComparison.Ordinal);
        Assert.Contains("jaeger: installed", output, StringComparison.Ordinal);
        Assert.Contains("jaeger: no checksum pinned", output, StringComparison.Ordinal);
        Assert.Contains(
            "temporal-test-server: not downloaded; the Temporal .NET SDK fetches it",
            output,
            StringComparison.Ordinal);
        Assert.Contains($"export TEMPORAL_CLI_PATH={Path.Combine(Dest, "temporal")}", output, StringComparison.Ordinal);

        // Exactly one archive per tool, plus Jaeger's published checksum list, and nothing else.
        var requests = server.Requests;
        Assert.Equal(4, requests.Count);
        Assert.Single(requests, r => r.StartsWith(
            $"/temporalio/cli/releases/download/v{TemporalVersion}/temporal_cli_{TemporalVersion}_",
            StringComparison.Ordinal));
        Assert.Single(requests, r => r.StartsWith(
            $"/go-task/task/releases/download/v{TaskVersion}/task_",
            StringComparison.Ordinal));
        Assert.Single(requests, r => r.StartsWith(
            $"/jaegertracing/jaeger/releases/download/{JaegerRelease}/jaeger-{JaegerVersion}-",
            StringComparison.Ordinal));
        Assert.Single(
            requests,
            r => r == $"/jaegertracing/jaeger/releases/download/{JaegerRelease}/jaeger-{JaegerVersion}.sha256sum.txt");
        Assert.Equal(["jaeger", "task", "temporal"], Installed());
        Assert.Contains(
            $"temporal version {TemporalVersion}",
            await RunToolAsync("temporal", "--version"),
            StringComparison.Ordinal);
        Assert.Equal(TaskVersion, (await RunToolAsync("task", "--version")).Trim());
        Assert.Equal("jaeger stand-in", (await RunToolAsync("jaeger")).Trim());
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task InstallTools_RunAgain_DownloadsNothing()
    {
        var bash = RequireShellTools();
        PublishOfficialReleases();
        WriteLockWithServedChecksums();
        var first = await RunAsync(bash);
        Assert.True(first.ExitCode == 0, $"first run failed:\n{first.Output}\n{first.Error}");
        var requestsAfterFirst = server.Requests.Count;

        var (exitCode, output, error) = await RunAsync(bash);

        Assert.True(exitCode == 0, $"second run failed ({exitCode}):\n{output}\n{error}");
        Assert.Equal(requestsAfterFirst, server.Requests.Count);
        Assert.DoesNotContain("downloading", output, StringComparison.Ordinal);
        Assert.Contains($"temporal: {Path.Combine(Dest, "temporal")}", output, StringComparison.Ordinal);
        Assert.Contains($"task: {Path.Combine(Dest, "task")}", output, StringComparison.Ordinal);
        Assert.Contains($"jaeger: {Path.Combine(Dest, "jaeger")}", output, StringComparison.Ordinal);
        Assert.Equal(["jaeger", "task", "temporal"], Installed());
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task InstallTools_ArchiveChecksumMismatch_FailsNamingBothHashesAndInstallsNothingForThatTool()
    {
        var bash = RequireShellTools();
        PublishOfficialReleases();
        WriteLockWithServedChecksums();
        var pinned = Sha256(server.File(
            $"/go-task/task/releases/download/v{TaskVersion}/task_linux_amd64.tar.gz")); // same bytes on every platform

        // The same archive for every platform, with a different binary than the one whose checksum is pinned.
        var tampered = TarGz([("task", "#!/bin/sh\necho 'not the real task'\n")]);
        foreach (var platform in Platforms)
        {
            server.Put($"/go-task/task/releases/download/v{TaskVersion}/task_{platform}.tar.gz", tampered);
        }

        var (exitCode, output, error) = await RunAsync(bash);

        Assert.NotEqual(0, exitCode);
        Assert.Matches(@"checksum mismatch for task_(linux|darwin)_(amd64|arm64)\.tar\.gz", error);
        Assert.Contains($"expected sha256 {pinned}", error, StringComparison.Ordinal);
        Assert.Contains($"actual   sha256 {Sha256(tampered)}", error, StringComparison.Ordinal);
        Assert.DoesNotContain("task: installed", output, StringComparison.Ordinal);

        // The download is gone with the scratch directory; only what came before the mismatch is there.
        Assert.Equal(["temporal"], Installed());
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task InstallTools_OlderVersionInDest_IsReplacedByPinnedRelease()
    {
        var bash = RequireShellTools();
        PublishOfficialReleases();
        WriteLockWithServedChecksums();
        Directory.CreateDirectory(Dest);
        var old = Path.Combine(Dest, "temporal");
        await File.WriteAllTextAsync(
            old,
            "#!/bin/sh\necho 'temporal version 1.8.0 (Server 1.30.0, UI 2.50.1)'\n",
            TestContext.Current.CancellationToken);
        File.SetUnixFileMode(old, Executable);

        var (exitCode, output, error) = await RunAsync(bash);

        Assert.True(exitCode == 0, $"install-tools.sh failed ({exitCode}):\n{output}\n{error}");
        Assert.Contains(
            $"reports 'temporal version 1.8.0 (Server 1.30.0, UI 2.50.1)', not {TemporalVersion}; replacing it",
            output,
            StringComparison.Ordinal);
        Assert.Contains(
            $"temporal version {TemporalVersion}",
            await RunToolAsync("temporal", "--version"),
            StringComparison.Ordinal);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task InstallTools_Mirror_InstallsEveryToolFromItWithoutDownloading()
    {
        var bash = RequireShellTools();
        PublishOfficialReleases();
        WriteLockWithServedChecksums();

        // A mirror's install script takes a directory, unpacks every tool it has into it and lists it.
        var mirror = Path.Combine(directory, "mirror");
        Directory.CreateDirectory(Path.Combine(mirror, "files"));
        foreach (var (name, content) in new[]
        {
            ("temporal", TemporalStandIn),
            ("task", TaskStandIn),
            ("jaeger", JaegerStandIn),
            ("temporal-test-server", "#!/bin/sh\n"),
        })
        {
            await File.WriteAllTextAsync(
                Path.Combine(mirror, "files", name),
                content,
                TestContext.Current.CancellationToken);
        }

        var install = Path.Combine(mirror, "install");
        await File.WriteAllTextAsync(
            install,
            "#!/usr/bin/env bash\nset -euo pipefail\n"
            + "cp \"$(dirname \"$0\")\"/files/* \"$1\"\nchmod 0755 \"$1\"/*\nls \"$1\"\n",
            TestContext.Current.CancellationToken);
        File.SetUnixFileMode(install, Executable);

        var (exitCode, output, error) = await RunAsync(bash, "--mirror", mirror);

        Assert.True(exitCode == 0, $"install-tools.sh --mirror failed ({exitCode}):\n{output}\n{error}");
        Assert.Empty(server.Requests);
        Assert.Equal(["jaeger", "task", "temporal", "temporal-test-server"], Installed());
        Assert.Contains("temporal-test-server: installed", output, StringComparison.Ordinal);
        Assert.Contains(
            $"export TEMPORAL_TEST_SERVER_PATH={Path.Combine(Dest, "temporal-test-server")}",
            output,
            StringComparison.Ordinal);
        Assert.Equal(TaskVersion, (await RunToolAsync("task", "--version")).Trim());
    }

    /// <summary>bash from the system directories, after checking that the script finds what it needs there.</summary>
    private static string RequireShellTools()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "eng/install-tools.sh is for Linux and macOS");
        var bash = TestTools.Require(InSystemPath("bash"), "bash");
        TestTools.Require(InSystemPath("curl") ?? InSystemPath("wget"), "curl");
        TestTools.Require(InSystemPath("tar"), "tar");

        // A tool already in a system directory would be linked instead of downloaded.
        var preinstalled = NotExpectedSystemWide.Select(InSystemPath).OfType<string>().ToList();
        Assert.SkipWhen(
            preinstalled.Count > 0,
            $"{string.Join(", ", preinstalled)} installed system-wide; these tests need a machine without");
        return bash;
    }

    private static string? InSystemPath(string name) =>
        SystemPath.Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>The official archives of every platform, with stand-ins for the binaries.</summary>
    private void PublishOfficialReleases()
    {
        // One archive per tool serves every platform: the binaries are shell scripts.
        var temporal = TarGz([("temporal", TemporalStandIn), ("LICENSE", "MIT License\n")]);
        var task = TarGz([
            ("task", TaskStandIn),
            ("README.md", "# Task\n"),
            ("LICENSE", "MIT License\n"),
            ("completion/bash/task.bash", "# completion\n"),
        ]);
        var sums = new StringBuilder();
        foreach (var platform in Platforms)
        {
            server.Put(
                $"/temporalio/cli/releases/download/v{TemporalVersion}"
                + $"/temporal_cli_{TemporalVersion}_{platform}.tar.gz",
                temporal);
            server.Put($"/go-task/task/releases/download/v{TaskVersion}/task_{platform}.tar.gz", task);

            var folder = $"jaeger-{JaegerVersion}-{platform.Replace('_', '-')}";
            var jaeger = TarGz([
                (folder + "/", null),
                (folder + "/jaeger", JaegerStandIn),
                (folder + "/example-hotrod", JaegerStandIn),
            ]);
            server.Put($"/jaegertracing/jaeger/releases/download/{JaegerRelease}/{folder}.tar.gz", jaeger);

            // `shasum -b` lines, as the release writes them; the v1 archive's line must not be taken for the v2 one.
            sums.Append(Sha256(Encoding.UTF8.GetBytes(platform)))
                .Append(" *jaeger-1.76.0-")
                .Append(platform.Replace('_', '-'))
                .Append(".tar.gz\n");
            sums.Append(Sha256(jaeger)).Append(" *").Append(folder).Append(".tar.gz\n");
        }

        server.Put(
            $"/jaegertracing/jaeger/releases/download/{JaegerRelease}/jaeger-{JaegerVersion}.sha256sum.txt",
            Encoding.UTF8.GetBytes(sums.ToString()));
    }

    /// <summary>
    /// eng/tools.lock with each pinned checksum replaced by that of the archive served at its URL's path. Every
    /// URL in it must be one the server has: that checks the lock against the official names and layouts.
    /// </summary>
    private void WriteLockWithServedChecksums()
    {
        var lines = new List<string>();
        foreach (var line in File.ReadAllLines(Path.Combine(TestTools.RepositoryRoot(), "eng", "tools.lock")))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || fields[0].StartsWith('#'))
            {
                lines.Add(line);
                continue;
            }

            Assert.True(fields.Length == 6, "malformed tools.lock line: " + line);
            Assert.StartsWith("https://github.com/", fields[4], StringComparison.Ordinal);
            var served = server.File(fields[4]["https://github.com".Length..]);
            if (fields[3] != "-")
            {
                fields[3] = Sha256(served);
            }

            lines.Add(string.Join(' ', fields));
        }

        File.WriteAllLines(Lock, lines);
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(string bash, params string[] options)
    {
        var script = Path.Combine(TestTools.RepositoryRoot(), "eng", "install-tools.sh");
        return await ExternalProcess.RunAsync(bash, [script, .. options, Dest], configure: info =>
        {
            info.Environment["PATH"] = string.Join(':', SystemPath);
            info.Environment["TOOLS_LOCK"] = Lock;
            info.Environment["TOOLS_DOWNLOAD_BASE"] = server.BaseUrl;

            // Not CI: there a missing optional tool (here the test server) fails the run.
            info.Environment.Remove("CI");
            foreach (var proxy in ProxyVariables)
            {
                info.Environment.Remove(proxy);
            }

            info.Environment["NO_PROXY"] = info.Environment["no_proxy"] = "127.0.0.1";
        });
    }

    private async Task<string> RunToolAsync(string name, params string[] args)
    {
        var (exitCode, output, error) = await ExternalProcess.RunAsync(Path.Combine(Dest, name), args);
        Assert.True(exitCode == 0, $"{name} {string.Join(' ', args)} failed ({exitCode}): {error}");
        return output;
    }

    /// <summary>What is in DEST, sorted: tools only, no archive leftovers or scratch directories.</summary>
    private List<string> Installed() =>
        Directory.Exists(Dest)
            ? [
                .. Directory.GetFileSystemEntries(Dest)
                    .Select(Path.GetFileName)
                    .OfType<string>()
                    .Order(StringComparer.Ordinal),
            ]
            : [];

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// A .tar.gz with the given files (executable) and directories (names ending in '/', no content).
    /// </summary>
    private static byte[] TarGz(IEnumerable<(string Name, string? Content)> entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                var entry = new UstarTarEntry(content is null ? TarEntryType.Directory : TarEntryType.RegularFile, name)
                {
                    Mode = Executable,
                    ModificationTime = new DateTimeOffset(2025, 12, 3, 16, 0, 0, TimeSpan.Zero),
                };
                if (content is not null)
                {
                    entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
                }

                tar.WriteEntry(entry);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Serves fixed files at fixed paths on a free loopback port and records every request's path.</summary>
    private sealed class ReleaseServer : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly ConcurrentDictionary<string, byte[]> files = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> requests = new();

        public ReleaseServer()
        {
            var port = TestTools.FreePort();
            BaseUrl = $"http://127.0.0.1:{port}";
            listener.Prefixes.Add(BaseUrl + "/");
            listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string BaseUrl { get; }

        public IReadOnlyList<string> Requests => [.. requests];

        public void Put(string path, byte[] content) => files[path] = content;

        public byte[] File(string path) =>
            files.TryGetValue(path, out var content)
                ? content
                : throw new Xunit.Sdk.XunitException($"the test serves nothing at {path}");

        public void Dispose() => listener.Close();

        private async Task ServeAsync()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (
                    e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return; // closed at the end of the test
                }

                using var response = context.Response;
                var path = context.Request.Url?.AbsolutePath ?? string.Empty;
                requests.Enqueue(path);
                try
                {
                    if (files.TryGetValue(path, out var content))
                    {
                        response.ContentLength64 = content.Length;
                        await response.OutputStream.WriteAsync(content);
                    }
                    else
                    {
                        response.StatusCode = 404;
                    }
                }
                catch (Exception e) when (e is HttpListenerException or IOException)
                {
                    // The client went away; the script reports that itself.
                }
            }
        }
    }
}
