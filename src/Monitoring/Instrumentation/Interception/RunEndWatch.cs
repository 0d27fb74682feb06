namespace Watchtower.Monitoring.Interception;

/// <summary>
/// One watch on a run's task for all the interceptors of one workflow instance that need its end (metrics closes the
/// run, tracing ends its span). Each watch is a continuation on the workflow's scheduler, which with the SDK's task
/// check costs about 1 KB of task events; the interceptors pass the very same task outward, so the first to see it
/// watches it and the others are told by that watch. Used only on the workflow's own thread.
/// </summary>
internal sealed class RunEndWatch : ITaskEndListener
{
    private Task? watched;
    private ITaskEndListener? first;
    private ITaskEndListener? second;
    private bool ended;
    private Exception? exception;

    /// <summary>
    /// Tells <paramref name="listener"/> when <paramref name="task"/> ends: through the watch already on it when it
    /// is the task another interceptor of this run watches, else through a watch of its own.
    /// </summary>
    public void Observe(Task task, ITaskEndListener listener)
    {
        if (watched is null)
        {
            watched = task;
            first = listener;
            TaskEndObserver.Observe(task, this);
            return;
        }

        if (!ReferenceEquals(task, watched) || second is not null)
        {
            // Not the run's task as the others saw it (an interceptor in between replaced it), or a third listener:
            // rare enough for a watch of its own.
            TaskEndObserver.Observe(task, listener);
            return;
        }

        if (ended)
        {
            listener.Ended(exception);
            return;
        }

        second = listener;
    }

    void ITaskEndListener.Ended(Exception? exception)
    {
        ended = true;
        this.exception = exception;
        Tell(first, exception);
        Tell(second, exception);
    }

    /// <summary>Listeners never throw by contract; one that does still must not cost the other its end.</summary>
    private static void Tell(ITaskEndListener? listener, Exception? exception)
    {
        try
        {
            listener?.Ended(exception);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The listener's own failure handling has already failed; nothing is left to report it with.
        }
    }
}
