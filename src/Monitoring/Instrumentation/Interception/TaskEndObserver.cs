namespace Watchtower.Monitoring.Interception;

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
internal static class TaskEndObserver
{
    /// <summary>
    /// Calls the next interceptor and returns its task itself; <paramref name="ended"/> gets the task's
    /// exception (null on success) when it ends, or the exception the call threw at once.
    /// </summary>
    /// <typeparam name="TTask">The task type.</typeparam>
    /// <param name="start">The call to the next interceptor.</param>
    /// <param name="ended">Bookkeeping that issues no commands and never throws.</param>
    /// <returns>The task <paramref name="start"/> returned.</returns>
    public static TTask Observe<TTask>(Func<TTask> start, Action<Exception?> ended)
        where TTask : Task
    {
        TTask task;
        try
        {
            task = start();
        }
        catch (Exception e)
        {
            ended(e);
            throw;
        }

        Observe(task, ended);
        return task;
    }

    /// <summary>
    /// Runs an inbound interceptor's own code and returns its task, or a faulted task for what it threw,
    /// as an async method would: the SDK looks for a handler's failure in its task, never in a throw.
    /// </summary>
    /// <typeparam name="T">The task's result type.</typeparam>
    /// <param name="body">The interceptor's code.</param>
    /// <returns>The task <paramref name="body"/> returned, or a faulted task.</returns>
    public static Task<T> CatchIntoTask<T>(Func<Task<T>> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }

    /// <inheritdoc cref="CatchIntoTask{T}(Func{Task{T}})"/>
    public static Task CatchIntoTask(Func<Task> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    /// <summary>
    /// Tells <paramref name="listener"/> when <paramref name="task"/> ends, without a delegate or closure of its own:
    /// for a call made many times a run, where the caller already holds an object for it.
    /// </summary>
    /// <param name="task">The task the next interceptor returned.</param>
    /// <param name="listener">Bookkeeping that issues no commands and never throws.</param>
    public static void Observe(Task task, ITaskEndListener listener)
    {
        if (task.IsCompleted)
        {
            listener.Ended(ExceptionOf(task));
            return;
        }

        _ = task.ContinueWith(
            static (t, state) => ((ITaskEndListener)state!).Ended(ExceptionOf(t)),
            listener,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Current);
    }

    private static void Observe(Task task, Action<Exception?> ended)
    {
        if (task.IsCompleted)
        {
            // Already done (a handler that never awaited): the bookkeeping happens now.
            ended(ExceptionOf(task));
            return;
        }

        // TaskScheduler.Current is the workflow's own scheduler: the continuation runs in the workflow's
        // context (Workflow.* works there) and on its thread, never on the thread pool.
        _ = task.ContinueWith(
            static (t, state) => ((Action<Exception?>)state!)(ExceptionOf(t)),
            ended,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Current);
    }

    /// <summary>
    /// What awaiting the ended task would throw (the original cancellation exception included), or null.
    /// </summary>
    private static Exception? ExceptionOf(Task task)
    {
        switch (task.Status)
        {
            case TaskStatus.Faulted:
                // What an await throws, without throwing it: failed activities and children are common.
                return task.Exception!.InnerException;
            case TaskStatus.Canceled:
                // The task keeps its cancellation exception to itself; only an await hands it out.
                try
                {
                    task.GetAwaiter().GetResult();
                }
                catch (OperationCanceledException e)
                {
                    return e;
                }

                return null;
            default:
                return null;
        }
    }
}

/// <summary>What <see cref="TaskEndObserver.Observe(Task, ITaskEndListener)"/> tells when a task ends.</summary>
internal interface ITaskEndListener
{
    /// <summary>The task ended: with the exception an await would throw, or null.</summary>
    void Ended(Exception? exception);
}
