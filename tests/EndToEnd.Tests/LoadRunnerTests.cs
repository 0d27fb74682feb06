using System.Globalization;
using System.Text.RegularExpressions;
using Watchtower.EndToEnd.Tests.Infrastructure;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// The benchmark's load runner as it is stopped mid-run: what it started must not outlive it, or a dev server
/// left behind takes CPU from every later measurement on the machine.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class LoadRunnerTests
{
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task LoadRunner_TerminatedMidRun_LeavesNoServerOrWorkerBehind()
    {
        var cli = TestTools.Require(TestTools.TemporalCli, "the Temporal CLI");
        var runner = LoadRunnerPath();
        await using var run = ExternalProcess.Start(
            "dotnet",
            [runner, "--cli", cli, "--pairs", "1", "--workflows", "4"],
            info => info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1");

        // The dev server and both measured workers, once all three have been started (a child shows in /proc from
        // its fork); the runner must not have given up on its own.
        var started = await Eventually.UntilAsync(
            () =>
            {
                Assert.False(run.HasExited, "the load runner exited before it started its workers:\n" + run.Output);
                return Task.FromResult(Descendants(run.Id));
            },
            pids => pids.Count >= 3 && run.Output.Contains(" pairs of ", StringComparison.Ordinal),
            "the load runner to start its dev server and two workers",
            TimeSpan.FromSeconds(90));

        await run.TerminateAsync(TimeSpan.FromSeconds(30));

        await Eventually.UntilAsync(
            () => Task.FromResult(string.Join(", ", started.Where(Running).Select(Describe))),
            running => running.Length == 0,
            "every process the load runner started to have exited (the last value lists those still running)",
            TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// The two rounds of a pair run over the same seconds: both workers get their pipelines and each is read for
    /// its own, so each side's line shows what its own worker spent on them.
    /// </summary>
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task LoadRunner_PairRunTogether_ReadsEachSideForItsOwnPipelines()
    {
        var cli = TestTools.Require(TestTools.TemporalCli, "the Temporal CLI");
        var output = await RunToEndAsync(
            [
                LoadRunnerPath(), "--cli", cli, "--compare", "off,on", "--pairs", "1", "--workflows", "4",
                "--warm", "4", "--rate", "8", "--max-steal", "1",
            ],
            TimeSpan.FromSeconds(170));
        Assert.Contains("both sides of a pair at once", output, StringComparison.Ordinal);

        // The side with metrics on is scraped while it warms, so that no measured round pays for compiling what a
        // scrape runs; the side with them off has no scrape endpoint to warm.
        var warmed = Regex.Match(
            output,
            @"^warm-up: 4 pipelines a side; on scraped (?<scrapes>[0-9]+) times$",
            RegexOptions.Multiline);
        Assert.True(warmed.Success, "a warm-up line naming the scrapes of the side with metrics on:\n" + output);
        Assert.True(int.Parse(warmed.Groups["scrapes"].Value, CultureInfo.InvariantCulture) >= 1, warmed.Value);
        var pair = Regex.Match(
            output,
            @"^pair 1: off +[0-9]+ ms .* ms CPU +(?<offKb>[0-9.]+) KB .*?(?<offSpans>[0-9]+) spans a workflow.*\| "
            + @"on +[0-9]+ ms .* ms CPU +(?<onKb>[0-9.]+) KB .*?(?<onSpans>[0-9]+) spans a workflow",
            RegexOptions.Multiline);
        Assert.True(pair.Success, "a line for the pair with both sides:\n" + output);

        // Off ends no spans and on ends 15 a pipeline, so a side read from the other's worker, or one whose worker
        // got no pipelines, shows here; a pipeline also allocates about 750 KB in the worker, its idle share a
        // fraction of that.
        Assert.Equal("0", pair.Groups["offSpans"].Value);
        Assert.InRange(int.Parse(pair.Groups["onSpans"].Value, CultureInfo.InvariantCulture), 10, 20);
        Assert.All(
            new[] { pair.Groups["offKb"].Value, pair.Groups["onKb"].Value },
            kb => Assert.InRange(double.Parse(kb, CultureInfo.InvariantCulture), 500, 100_000));
        Assert.Contains("| worker CPU (ms) |", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>--gen0-budget</c> reaches both workers: with a budget far above what a round allocates (40 pipelines a
    /// side, about 750 KB each in the worker), neither collects during its round, where the same round without it
    /// collects on both sides (the runtime's own budget here is 2 to 6 MB); each line counts every collection.
    /// </summary>
    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task LoadRunner_Gen0BudgetGiven_BothWorkersCollectByIt()
    {
        var cli = TestTools.Require(TestTools.TemporalCli, "the Temporal CLI");
        string[] round =
        [
            LoadRunnerPath(), "--cli", cli, "--compare", "off,off", "--pairs", "1", "--workflows", "40", "--warm", "4",
            "--rate", "8", "--max-steal", "1",
        ];

        var (withoutA, withoutB, _) = await CollectionsAsync(round);
        Assert.True(
            withoutA > 0 && withoutB > 0,
            $"the runtime's own budget collects in such a round: {withoutA} and {withoutB} collections");

        var (a, b, output) = await CollectionsAsync([.. round, "--gen0-budget", "512"]);
        Assert.Contains(
            "; gen0 budget of 512 MB asked of both workers (DOTNET_GCgen0size)", output, StringComparison.Ordinal);
        Assert.Equal((0, 0), (a, b));
    }

    /// <summary>
    /// Runs the load runner for one pair (about 20 s; two of them fit the test's timeout); each side's collections in
    /// its round, and the output.
    /// </summary>
    private static async Task<(int A, int B, string Output)> CollectionsAsync(string[] arguments)
    {
        var output = await RunToEndAsync(arguments, TimeSpan.FromSeconds(85));
        var pair = Regex.Match(
            output,
            @"^pair 1: off .* (?<a>[0-9]+) collections \([0-9]+ of gen1 or gen2, [0-9]+ of gen2\).*\| "
            + @"off .* (?<b>[0-9]+) collections \([0-9]+ of gen1 or gen2, [0-9]+ of gen2\)",
            RegexOptions.Multiline);
        Assert.True(pair.Success, "a line for the pair giving each side's collections:\n" + output);
        return (
            int.Parse(pair.Groups["a"].Value, CultureInfo.InvariantCulture),
            int.Parse(pair.Groups["b"].Value, CultureInfo.InvariantCulture),
            output);
    }

    /// <summary>Runs the load runner to its end, which must be a success; its standard output.</summary>
    private static async Task<string> RunToEndAsync(string[] arguments, TimeSpan timeout)
    {
        var (exitCode, output, error) = await ExternalProcess.RunAsync(
            "dotnet",
            arguments,
            configure: info => info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            timeout: timeout);

        Assert.True(exitCode == 0, $"the load runner exited with {exitCode}:\n{output}\n{error}");
        return output;
    }

    /// <summary>
    /// The runner built beside these tests, in the same configuration and framework (the project references it).
    /// </summary>
    private static string LoadRunnerPath()
    {
        var framework = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var path = Path.Combine(
            TestTools.RepositoryRoot(),
            "bench",
            "Watchtower.LoadRunner",
            "bin",
            framework.Parent!.Name,
            framework.Name,
            "Watchtower.LoadRunner.dll");
        Assert.True(File.Exists(path), $"the load runner is built at {path}");
        return path;
    }

    /// <summary>Every process below <paramref name="pid"/>, read from /proc.</summary>
    private static List<int> Descendants(int pid)
    {
        var found = new List<int>();
        var pending = new Stack<int>([pid]);
        while (pending.TryPop(out var parent))
        {
            foreach (var task in SafeDirectories($"/proc/{parent}/task"))
            {
                var children = SafeRead(Path.Combine(task, "children"));
                foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var id = int.Parse(child, CultureInfo.InvariantCulture);
                    found.Add(id);
                    pending.Push(id);
                }
            }
        }

        return found;
    }

    /// <summary>Whether the process still runs: not when gone from /proc, nor as a zombie not yet reaped.</summary>
    private static bool Running(int pid)
    {
        // /proc/<pid>/stat: "pid (name) state ...", where the name may hold spaces and parentheses.
        var stat = SafeRead($"/proc/{pid}/stat");
        var afterName = stat.LastIndexOf(')');
        return afterName > 0 && afterName + 2 < stat.Length && stat[afterName + 2] != 'Z';
    }

    private static string Describe(int pid) =>
        $"{pid} ({SafeRead($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()})";

    // A process may exit between listing and reading: it then simply has nothing left to list.
    private static string[] SafeDirectories(string path)
    {
        try
        {
            return Directory.GetDirectories(path);
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static string SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
