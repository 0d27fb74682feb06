using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Watchtower.LoadRunner;

/// <summary>
/// Stops what the run started when the run itself is stopped (Ctrl+C, SIGTERM, a closed terminal). The runtime then
/// ends the process without unwinding, so no <c>await using</c> runs, and a dev server left behind would take CPU
/// from every later measurement on the machine.
/// </summary>
internal static class ChildProcesses
{
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    // Kept alive for the whole run: a registration that is collected stops handling its signal.
    private static readonly PosixSignalRegistration[] Registrations =
    [
        PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop),
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop),
        PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop),
    ];

    /// <summary>Starts <paramref name="info"/>, to be killed with its own children if the run is stopped.</summary>
    public static Process Start(ProcessStartInfo info, string what)
    {
        GC.KeepAlive(Registrations); // Registered by the time the first child starts.
        var process = Process.Start(info) ?? throw new InvalidOperationException($"The {what} did not start.");
        Running[process.Id] = process;
        return process;
    }

    /// <summary>Called once the process has been stopped the ordinary way.</summary>
    public static void Forget(Process process) => Running.TryRemove(process.Id, out _);

    // Not cancelled: once the children are gone the signal ends the run as it would have.
    private static void Stop(PosixSignalContext context)
    {
        foreach (var process in Running.Values)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already exited, or not ours to kill any more.
            }
        }

        Console.Error.WriteLine($"Stopped by {context.Signal}: the dev server and the workers were stopped too.");
    }
}
