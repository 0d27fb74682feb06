using Watchtower.Monitoring.Interception;

namespace Watchtower.Monitoring.Tests;

public sealed class RunEndWatchTests
{
    [Fact]
    public async Task Observe_TwoListenersOnTheRunsTask_OneContinuationTellsBothInOrder()
    {
        var scheduler = new CountingScheduler();
        var run = new TaskCompletionSource<object?>();
        var told = new List<string>();
        var watch = new RunEndWatch();

        // As on a workflow's thread: TaskScheduler.Current is the scheduler continuations are queued to.
        await Task.Factory.StartNew(
            () =>
            {
                watch.Observe(run.Task, new Listener("metrics", told));
                watch.Observe(run.Task, new Listener("tracing", told));
            },
            CancellationToken.None,
            TaskCreationOptions.None,
            scheduler);
        var queuedBefore = scheduler.Queued;
        run.SetResult(null);

        Assert.Equal(1, scheduler.Queued - queuedBefore);
        Assert.Equal(["metrics:", "tracing:"], told);
    }

    [Fact]
    public void Observe_RunAlreadyEnded_LaterListenerToldAtOnceWithItsFailure()
    {
        var failure = new InvalidOperationException("the run failed");
        var told = new List<string>();
        var watch = new RunEndWatch();

        watch.Observe(Task.FromException(failure), new Listener("metrics", told));
        Assert.Equal(["metrics:the run failed"], told);
        watch.Observe(Task.FromException(failure), new Listener("other task", told));
        var run = Task.FromException(failure);
        var second = new RunEndWatch();
        second.Observe(run, new Listener("metrics", told));
        second.Observe(run, new Listener("tracing", told));

        Assert.Equal(
            ["metrics:the run failed", "other task:the run failed", "metrics:the run failed", "tracing:the run failed"],
            told);
    }

    [Fact]
    public void Observe_AThirdListener_StillTold()
    {
        var told = new List<string>();
        var watch = new RunEndWatch();
        var run = new TaskCompletionSource<object?>(TaskCreationOptions.None);

        watch.Observe(run.Task, new Listener("a", told));
        watch.Observe(run.Task, new Listener("b", told));
        watch.Observe(run.Task, new Listener("c", told));
        run.SetResult(null);

        Assert.Equal(3, told.Count);
    }

    private sealed class Listener(string name, List<string> told) : ITaskEndListener
    {
        public void Ended(Exception? exception)
        {
            lock (told)
            {
                told.Add(name + ":" + exception?.Message);
            }
        }
    }

    /// <summary>Runs what it is given at once, counting it: the continuations a watch costs.</summary>
    private sealed class CountingScheduler : TaskScheduler
    {
        private int queued;

        public int Queued => Volatile.Read(ref queued);

        protected override void QueueTask(Task task)
        {
            Interlocked.Increment(ref queued);
            TryExecuteTask(task);
        }

        protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

        protected override IEnumerable<Task> GetScheduledTasks() => [];
    }
}
