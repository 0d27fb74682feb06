using Watchtower.Monitoring.Interception;

namespace Watchtower.Monitoring.Tests;

public sealed class TaskEndObserverTests
{
    [Fact]
    public async Task Observe_PendingTask_ReturnsTheSameTaskAndSeesItsEnd()
    {
        var source = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);

        var returned = TaskEndObserver.Observe(() => source.Task, e => ended.SetResult(e));

        Assert.Same(source.Task, returned);
        Assert.False(ended.Task.IsCompleted);
        source.SetResult(7);
        Assert.Null(await ended.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Observe_CanceledTask_SeesTheOriginalCancellation()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancellation = new OperationCanceledException("the user's own cancellation");

        _ = TaskEndObserver.Observe(() => source.Task, e => ended.SetResult(e));
        source.SetCanceled(new CancellationToken(canceled: true));
        Assert.IsType<TaskCanceledException>(
            await ended.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        // A faulted task with a cancellation exception: the very exception an await would throw.
        Exception? seen = null;
        _ = TaskEndObserver.Observe(() => Task.FromException(cancellation), e => seen = e);
        Assert.Same(cancellation, seen);
    }

    [Fact]
    public void Observe_CompletedTask_BookkeepingRunsAtOnce()
    {
        var failure = new InvalidOperationException("handler failed");
        Exception? seen = new InvalidOperationException("not called");

        _ = TaskEndObserver.Observe(() => Task.CompletedTask, e => seen = e);
        Assert.Null(seen);
        _ = TaskEndObserver.Observe(() => Task.FromException<int>(failure), e => seen = e);
        Assert.Same(failure, seen);
    }

    [Fact]
    public void Observe_CallThrowsAtOnce_BookkeepingSeesItAndItIsRethrown()
    {
        var failure = new ArgumentException("no timeout");
        Exception? seen = null;

        // A statement lambda: the call throws before any task exists, which is what is tested.
        var thrown = Assert.Throws<ArgumentException>(() =>
        {
            _ = TaskEndObserver.Observe<Task>(() => throw failure, e => seen = e);
        });

        Assert.Same(failure, thrown);
        Assert.Same(failure, seen);
    }

    [Fact]
    public async Task Faulting_BodyThrows_FaultedTaskInsteadOfAThrow()
    {
        var failure = new InvalidOperationException("logger broke");

        var task = TaskEndObserver.CatchIntoTask<object?>(() => throw failure);
        var untyped = TaskEndObserver.CatchIntoTask(() => throw failure);

        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => task));
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => untyped));
    }
}
