namespace Watchtower.Monitoring;

/// <summary>
/// Bookkeeping on workflow tasks that adds no scheduler step. Workflow code that runs several
/// routines at once (a handler beside the main loop, two awaits raced) issues its commands in the
/// order the workflow scheduler resumes them, and every <c>await</c> in an interceptor is one more
/// resumption between the SDK and the workflow code. An <c>async</c> interceptor therefore moves its
/// caller behind routines that were resumed in the same workflow task, so that commands recorded with
/// the interceptor come in another order without it: histories then fail to replay when tracing or
/// metrics are switched, and the <c>WorkflowReplayer</c>, which runs without interceptors, rejects
/// histories the worker wrote. Interceptor methods therefore hand the SDK the very task the next
/// interceptor returned, and observe its end in a continuation that runs on the workflow scheduler
/// beside, not between, its callers.
/// </summary>
internal static class WorkflowSteps
{
    /// <summary>Runs <paramref name="ended"/> with the task's exception (null on success) when it ends, and returns the task itself.</summary>
    /// <typeparam name="T">The task's result type.</typeparam>
    /// <param name="task">A task returned by the next interceptor.</param>
    /// <param name="ended">Bookkeeping that issues no commands and never throws.</param>
    /// <returns><paramref name="task"/>.</returns>
    public static Task<T> Observe<T>(Task<T> task, Action<Exception?> ended)
    {
        Observe((Task)task, ended);
        return task;
    }

    /// <summary>Runs <paramref name="ended"/> with the task's exception (null on success) when it ends, and returns the task itself.</summary>
    /// <param name="task">A task returned by the next interceptor.</param>
    /// <param name="ended">Bookkeeping that issues no commands and never throws.</param>
    /// <returns><paramref name="task"/>.</returns>
    public static Task Observe(Task task, Action<Exception?> ended)
    {
        if (task.IsCompleted)
        {
            // Already done (a handler that never awaited): the bookkeeping happens now, as before the await.
            ended(ExceptionOf(task));
            return task;
        }

        // TaskScheduler.Current is the workflow's own scheduler: the continuation runs in the workflow's
        // context (Workflow.* works there) and on its thread, never on the thread pool.
        _ = task.ContinueWith(
            static (t, state) => ((Action<Exception?>)state!)(ExceptionOf(t)),
            ended,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Current);
        return task;
    }

    /// <summary>What awaiting the task would throw: its first exception, a cancellation, or null.</summary>
    private static Exception? ExceptionOf(Task task) =>
        task.Status switch
        {
            TaskStatus.Faulted => task.Exception!.InnerException,
            TaskStatus.Canceled => new TaskCanceledException(task),
            _ => null,
        };
}
