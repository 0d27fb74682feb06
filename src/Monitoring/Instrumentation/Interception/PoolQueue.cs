using System.Collections.Concurrent;

namespace Watchtower.Monitoring.Interception;

/// <summary>
/// Telemetry handed from a workflow's thread to the thread pool, handled one item at a time in the order it was
/// posted. The SDK runs each workflow activation on a thread started for it, so whatever a recording keeps per thread
/// (OpenTelemetry's metric buffers, System.Diagnostics' random source for span ids, the thread-static storage of
/// each assembly) was built again for every task that recorded; and every <see cref="System.Diagnostics.Activity"/>
/// started or stopped there rewrote the workflow's execution context. A reader that waits for <see cref="Handled"/>
/// to reach <see cref="Posted"/> has seen everything posted before it looked. The work item is not a task, so the
/// SDK's check for tasks that leave the workflow's scheduler does not see it, and it takes no execution context out
/// of the workflow.
/// </summary>
/// <typeparam name="T">What is handed over.</typeparam>
internal sealed class PoolQueue<T>(Action<T> handle) : IThreadPoolWorkItem
{
    // Holds what the thread pool has not reached yet, handled as soon as a pool thread is free. Not bounded here: a
    // user whose handling may fall behind (an exporter) bounds it by Backlog.
    private readonly ConcurrentQueue<T> queued = new();
    private int draining;
    private long posted;
    private long handled;

    /// <summary>Gets how many items have been posted since the process started.</summary>
    public long Posted => Interlocked.Read(ref posted);

    /// <summary>Gets how many of them have been handled, in the order they were posted.</summary>
    public long Handled => Interlocked.Read(ref handled);

    /// <summary>Gets how many posted items wait to be handled.</summary>
    public long Backlog => Posted - Handled;

    /// <summary>
    /// Waits until everything posted before the call has been handled, or <paramref name="timeout"/> passes.
    /// </summary>
    /// <returns>Whether everything was handled in time.</returns>
    public bool WaitHandled(TimeSpan timeout)
    {
        var target = Posted;
        return SpinWait.SpinUntil(() => Handled >= target, timeout);
    }

    /// <summary>Queues an item; <c>handle</c> must not throw.</summary>
    public void Post(T item)
    {
        // Counted before it is queued: a reader that saw the count has everything ahead of it in the queue.
        Interlocked.Increment(ref posted);
        queued.Enqueue(item);
        if (Interlocked.CompareExchange(ref draining, 1, 0) != 0)
        {
            return;
        }

        try
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        catch
        {
            // Left set, the flag would keep every later item queued for good.
            Volatile.Write(ref draining, 0);
            throw;
        }
    }

    /// <summary>
    /// The one work item: queued again only once it has cleared the flag, so one runs at a time and items keep their
    /// order.
    /// </summary>
    void IThreadPoolWorkItem.Execute()
    {
        do
        {
            while (queued.TryDequeue(out var item))
            {
                handle(item);
                Interlocked.Increment(ref handled);
            }

            // A full fence, not a plain write: the look at the queue below must not be made before the flag is seen
            // cleared, or an item queued in between would wait for the next one.
            Interlocked.Exchange(ref draining, 0);
        }

        // Something queued after the last look but before the flag was cleared found the flag set and left it to this
        // item.
        while (!queued.IsEmpty && Interlocked.CompareExchange(ref draining, 1, 0) == 0);
    }
}
