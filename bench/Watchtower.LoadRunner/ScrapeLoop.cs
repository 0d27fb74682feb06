namespace Watchtower.LoadRunner;

/// <summary>
/// <see cref="Scrapes.EveryAsync"/> running in the background until stopped, with the client it scrapes through:
/// what a measured round and the warm-up both keep while their pipelines run.
/// </summary>
internal sealed class ScrapeLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();

    private ScrapeLoop(Scrapes scrapes, TimeSpan interval)
    {
        Scrapes = scrapes;
        Running = scrapes.EveryAsync(interval, stop.Token);
    }

    public Scrapes Scrapes { get; }

    /// <summary>Gets the loop: faulted if a scrape failed in a way it does not count (its client's timeout).</summary>
    public Task Running { get; }

    public static ScrapeLoop Start(Scrapes scrapes, TimeSpan interval) => new(scrapes, interval);

    /// <summary>Stops the scrapes and waits for the one in flight; throws what ended the loop early.</summary>
    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await Running;
    }

    /// <summary>
    /// Stops the scrapes without throwing, then lets go of the client: when the loop is disposed early, the failure of
    /// what ran beside it is the one to report, and a scrape that failed with it adds nothing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await Running;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Kept in Running for whoever asks.
        }

        stop.Dispose();
        Scrapes.Dispose();
    }
}
