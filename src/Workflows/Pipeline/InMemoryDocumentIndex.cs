using System.Collections.Concurrent;

namespace Watchtower.Workflows.Pipeline;

/// <summary>
/// A process-local index. It stands in for a real search index in the sample worker; the
/// activities only see <see cref="IDocumentIndex"/>, so a real one plugs in through DI.
/// </summary>
public sealed class InMemoryDocumentIndex : IDocumentIndex
{
    private readonly ConcurrentDictionary<(string Pipeline, string Id), DocumentAnalysis> documents = new();

    /// <inheritdoc />
    public Task UpsertAsync(string pipelineName, DocumentAnalysis document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        cancellationToken.ThrowIfCancellationRequested();
        documents[(pipelineName, document.Id)] = document;
        return Task.CompletedTask;
    }

    /// <summary>How many documents of <paramref name="pipelineName"/> are stored.</summary>
    /// <param name="pipelineName">Pipeline run name.</param>
    /// <returns>The number of stored documents.</returns>
    public int Count(string pipelineName)
    {
        var count = 0;
        foreach (var key in documents.Keys)
        {
            if (string.Equals(key.Pipeline, pipelineName, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }
}
