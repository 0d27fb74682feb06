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
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(10);
    private static readonly Lock Gate = new();
    private static readonly List<Process> Running = [];
    private static bool stopping;

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

        // Under the lock, so that a child started while a signal is handled is either in the list Stop kills, or
        // never started.
        lock (Gate)
        {
            if (stopping)
            {
                throw new OperationCanceledException($"The run is stopping: the {what} was not started.");
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException($"The {what} did not start.");
            Running.Add(process);
            return process;
        }
    }

    /// <summary>Called once the process has been stopped the ordinary way.</summary>
    public static void Forget(Process process)
    {
        lock (Gate)
        {
            Running.Remove(process);
        }
    }

    // Not cancelled: once the children are gone the signal ends the run as it would have. Every child is killed
    // before any is waited for, and the waits share one deadline, so a stuck child cannot hold the others.
    private static void Stop(PosixSignalContext context)
    {
        List<Process> children;
        lock (Gate)
        {
            stopping = true;
            children = [.. Running];
        }

        var killed = children.Where(Kill).ToList();
        var deadline = Stopwatch.StartNew();
        var exited = killed.Count(p => WaitForExit(p, ExitWait - deadline.Elapsed));
        Console.Error.WriteLine(
            $"Stopped by {context.Signal}: {exited} of {children.Count} child processes (dev server, workers) "
            + "stopped with it.");
    }

    private static bool Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Already exited (InvalidOperationException), or part of its tree could not be killed (AggregateException):
            // nothing this handler can do but go on with the others.
            return process.HasExited;
        }
    }

    private static bool WaitForExit(Process process, TimeSpan left)
    {
        try
        {
            return process.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }
}
