using System.Diagnostics;
using System.Text;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>Runs a tool to completion, or keeps a server process for the length of a test.</summary>
internal sealed class ExternalProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private bool disposed;

    private ExternalProcess(Process process)
    {
        this.process = process;
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public bool HasExited => process.HasExited;

    public int Id => process.Id;

    /// <summary>
    /// CPU time and peak resident memory so far; read while the process runs, as the figures go with it.
    /// </summary>
    public (TimeSpan Cpu, long PeakBytes) Usage()
    {
        process.Refresh();
        return (process.TotalProcessorTime, process.PeakWorkingSet64);
    }

    /// <summary>SIGKILL, as the OOM killer or a lost node would: no cleanup of any kind.</summary>
    public async Task KillAsync()
    {
        process.Kill();
        await WaitForExitAsync("SIGKILL");
    }

    /// <summary>SIGTERM, as a container runtime stops a process, and how long it took to exit.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        if (Terminate(process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"could not send SIGTERM to {process.Id}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the process did not exit within {limit.TotalSeconds:0} s of SIGTERM");
        }

        return clock.Elapsed;
    }

    /// <summary>
    /// Runs a command to completion with optional standard input; never waits past its timeout (a minute).
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string path,
        IReadOnlyCollection<string> args,
        string? input = null,
        Action<ProcessStartInfo>? configure = null,
        TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var info = Info(path, args, redirectInput: input is not null);
        configure?.Invoke(info);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + path);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(limit);
        var stdout = process.StandardOutput.ReadToEndAsync(cancel.Token);
        var stderr = process.StandardError.ReadToEndAsync(cancel.Token);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"{Path.GetFileName(path)} {string.Join(' ', args)} did not finish within {limit.TotalSeconds:0} s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running process; disposing kills it.</summary>
    /// <param name="path">The executable.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="configure">Changes to the start info (environment).</param>
    /// <param name="onLine">Called with each line of standard output as it comes.</param>
    public static ExternalProcess Start(
        string path,
        IEnumerable<string> args,
        Action<ProcessStartInfo>? configure = null,
        Action<string>? onLine = null)
    {
        var process = new Process { StartInfo = Info(path, args, redirectInput: false) };
        configure?.Invoke(process.StartInfo);
        var started = new ExternalProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            started.Append(e.Data);
            if (e.Data is not null)
            {
                onLine?.Invoke(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await WaitForExitAsync("a kill at the end of the test");
        }

        process.Dispose();
    }

    private async Task WaitForExitAsync(string after)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            var name = Path.GetFileName(process.StartInfo.FileName);
            throw new TimeoutException($"{name} (pid {process.Id}) did not exit within 10 s of {after}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Terminate(int pid, int signal);

    private static ProcessStartInfo Info(string path, IEnumerable<string> args, bool redirectInput)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
