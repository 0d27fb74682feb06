using System.Diagnostics;

namespace Watchtower.LoadRunner;

/// <summary>
/// Keeps the dev server and this coordinator on one core and the measured worker on another, so that the
/// worker's CPU and its rounds do not swing with whatever the server is doing at the moment.
/// </summary>
internal static class Pinning
{
    /// <summary>Gets the cores to use, or null when the machine cannot keep them apart.</summary>
    public static (int Server, int Worker)? Cores { get; } = Find();

    public static string Describe() => Cores is { } cores
        ? $"dev server and load generator on core {cores.Server}, worker on core {cores.Worker} (taskset)"
        : "not pinned (fewer than 2 cores or no taskset): rounds share every core";

    /// <summary>Starts <paramref name="file"/> on <paramref name="core"/> when there is one to pin to.</summary>
    public static ProcessStartInfo Start(int? core, string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(core is null ? file : "taskset")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (core is { } c)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(c.ToString(System.Globalization.CultureInfo.InvariantCulture));
            info.ArgumentList.Add(file);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>Moves every thread of this process to the server's core.</summary>
    public static void PinSelf()
    {
        if (Cores is not { } cores)
        {
            return;
        }

        using var taskset = Process.Start(new ProcessStartInfo("taskset")
        {
            ArgumentList = { "-a", "-p", "-c", cores.Server.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        taskset.WaitForExit(10_000);
    }

    private static (int, int)? Find()
    {
        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount < 2 || !OnPath("taskset"))
        {
            return null;
        }

        return (0, 1);
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, name)));
}
