
namespace Watchtower.Workflows.Pipeline;

/// <summary>Where published documents go: the search index downstream of the pipeline.</summary>
public interface IDocumentIndex
{
    /// <summary>Writes or replaces one document. Idempotent, so a retried publish can repeat it safely.</summary>
    /// <param name="pipelineName">Pipeline run the document belongs to.</param>
    /// <param name="document">The analysed document.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the document is stored.</returns>
    /// <exception cref="DocumentIndexUnavailableException">The index is temporarily unavailable; retry
    /// later.</exception>
    Task UpsertAsync(string pipelineName, DocumentAnalysis document, CancellationToken cancellationToken);

}
