using System.Collections.Concurrent;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>Realistic inputs for the pipeline.</summary>
internal static class Documents
{
    public static DocumentInput[] Create(int count) =>
        [.. Enumerable.Range(1, count).Select(i => (i % 3) switch
        {
            0 => new DocumentInput($"inv-{i}", $"Invoice {i}", $"Invoice {i}. Amount due: {i * 10} EUR. Bill to: ACME"),
            1 => new DocumentInput(
                $"rcpt-{i}", $"Receipt {i}", $"Receipt {i}: paid in full. Thank you for your purchase"),
            _ => new DocumentInput(
                $"ctr-{i}", $"Contract {i}", $"This agreement between party A and party B is hereby made"),
        })];

    public static DocumentPipelineInput Pipeline(
        int documents,
        int batchSize = 2,
        int reviewWindowSeconds = 0,
        int publishDelayMs = 0) =>
        new($"pipeline-{Guid.NewGuid():N}", Create(documents), batchSize, reviewWindowSeconds, publishDelayMs);
}

/// <summary>An index that records what reached it, and can fail its first calls like a flaky dependency.</summary>
internal sealed class RecordingIndex(int failFirst = 0) : IDocumentIndex
{
    private readonly ConcurrentDictionary<(string, string), DocumentAnalysis> documents = new();
    private int calls;

    public int Calls => calls;

    public Task UpsertAsync(string pipelineName, DocumentAnalysis document, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref calls) <= failFirst)
        {
            throw new DocumentIndexUnavailableException("index returned 503 (simulated outage)");
        }

        documents[(pipelineName, document.Id)] = document;
        return Task.CompletedTask;
    }

    public int Count(string pipelineName) => documents.Keys.Count(k => k.Item1 == pipelineName);
}

/// <summary>An index whose first write goes through and whose later writes wait for <see cref="Release"/>.</summary>
internal sealed class GatedIndex : IDocumentIndex
{
    private readonly TaskCompletionSource gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource firstWrite = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int writes;

    public int Writes => Volatile.Read(ref writes);

    public Task FirstWrite => firstWrite.Task;

    public void Release() => gate.TrySetResult();

    public async Task UpsertAsync(string pipelineName, DocumentAnalysis document, CancellationToken cancellationToken)
    {
        if (Writes > 0)
        {
            // Deliberately not cancellable: the test proves shutdown waits for in-flight work.
            await gate.Task;
        }

        Interlocked.Increment(ref writes);
        firstWrite.TrySetResult();
    }
}
