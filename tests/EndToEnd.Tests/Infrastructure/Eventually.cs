using System.Diagnostics;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>Waits for a condition with a deadline and a message saying what did not happen. No fixed sleeps.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<T> UntilAsync<T>(
        Func<Task<T>> probe,
        Func<T, bool> done,
        string what,
        TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        var last = default(T);
        Exception? lastError = null;
        while (watch.Elapsed < limit)
        {
            try
            {
                last = await probe();
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException and not Xunit.Sdk.IAssertionException)
            {
                lastError = e;
            }

            // Polling interval, not a wait for an outcome: the deadline above bounds the whole wait.
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException(
            $"Timed out after {limit.TotalSeconds:0} s waiting for {what}. Last value: {last}"
            + $"{(lastError is null ? string.Empty : $"; last error: {lastError.Message}")}");
    }

    public static Task WaitAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), ok => ok, what, timeout);
}
