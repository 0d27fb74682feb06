namespace Watchtower.Monitoring.Hosting.Monitors;

/// <summary>
/// A monitor's periodic callback that can never take the process down: an exception on a timer thread
/// would be unhandled and end the process. The first one stops the timer and is handed to the monitor,
/// which steps down to doing nothing; later ticks that were already queued do nothing.
/// </summary>
internal sealed class GuardedTimer : IDisposable
{
    private readonly Action tick;
    private readonly Action<Exception> failed;
    private readonly ITimer timer;
    private int stopped;

    public GuardedTimer(TimeProvider time, TimeSpan period, Action tick, Action<Exception> failed)
    {
        this.tick = tick;
        this.failed = failed;
        // Armed only once assigned: a first tick that throws must find the timer to stop.
        timer = time.CreateTimer(
            static state => ((GuardedTimer)state!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        timer.Change(period, period);
    }

    public void Dispose()
    {
        Volatile.Write(ref stopped, 1);
        timer.Dispose();
    }

    private void Tick()
    {
        if (Volatile.Read(ref stopped) != 0)
        {
            return;
        }

        try
        {
            tick();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (Interlocked.Exchange(ref stopped, 1) == 0)
            {
                timer.Dispose();
                StepDown(e);
            }
        }
    }

    // Stepping down logs, possibly through the very sink that broke, and may run while the host disposes its
    // services: whatever it throws stays here too.
    private void StepDown(Exception error)
    {
        try
        {
            failed(error);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nothing left to tell: the monitor is stopped either way.
        }
    }
}
