namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// Counts the bytes allocated by one activity execution, across every thread its async code runs on.
/// The runtime only counts allocations per thread, and an async activity hops threads, so the
/// execution's <see cref="AsyncLocal{T}"/> is told each time its code enters or leaves a thread: the
/// thread's counter is read on entry and the difference added to the execution on exit. Work the
/// activity starts that flows its execution context (child tasks) is counted too; code that runs with
/// execution-context flow suppressed is not. The cost is one execution context for the activity's
/// code, and a counter read and an atomic step each time its code enters or leaves a thread.
/// </summary>
internal static class AllocationMeter
{
    private static readonly AsyncLocal<IAllocationCounter?> Current = new(OnChanged);

    // Where the current thread's counter stood when an execution's code last entered it. A thread runs
    // one execution context at a time, so one value per thread is enough.
    [ThreadStatic]
    private static long enteredAt;

    /// <summary>
    /// Starts counting into <paramref name="counter"/> for the code that runs from here in this execution context.
    /// </summary>
    /// <param name="counter">Where the bytes go.</param>
    /// <returns>The context to give <see cref="Leave"/>.</returns>
    public static ExecutionContext? Enter(IAllocationCounter counter)
    {
        var before = ExecutionContext.Capture();
        Current.Value = counter;
        return before;
    }

    /// <summary>
    /// Stops counting on this thread and goes back to the context <see cref="Enter"/> found; code
    /// that continues asynchronously still counts, in the context it captured.
    /// </summary>
    /// <param name="before">What <see cref="Enter"/> returned.</param>
    public static void Leave(ExecutionContext? before)
    {
        // Restoring the context object itself costs nothing; setting the value back would build another.
        if (before is not null)
        {
            ExecutionContext.Restore(before);
        }
        else
        {
            Current.Value = null;
        }
    }

    // The runtime fails the process if a change handler throws: nothing here may.
    private static void OnChanged(AsyncLocalValueChangedArgs<IAllocationCounter?> change)
    {
        if (ReferenceEquals(change.PreviousValue, change.CurrentValue))
        {
            return;
        }

        var now = GC.GetAllocatedBytesForCurrentThread();
        change.PreviousValue?.Left(now - enteredAt);
        if (change.CurrentValue is not null)
        {
            enteredAt = now;
            change.CurrentValue.Entered();
        }
    }
}

/// <summary>
/// Takes the bytes <see cref="AllocationMeter"/> counts for one execution; called from any thread, inside the runtime's
/// notice of a context change, where nothing may throw.
/// </summary>
internal interface IAllocationCounter
{
    /// <summary>The execution's code entered a thread.</summary>
    void Entered();

    /// <summary>The execution's code left a thread, which allocated <paramref name="bytes"/> meanwhile.</summary>
    void Left(long bytes);
}
