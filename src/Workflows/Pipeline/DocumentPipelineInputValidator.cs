using System.Globalization;

namespace Watchtower.Workflows.Pipeline;

/// <summary>
/// Checks pipeline inputs and added documents. Pure and deterministic, so the workflow, the update
/// validator and the dispatcher all use it and report the same readable message.
/// </summary>
public static class DocumentPipelineInputValidator
{
    /// <summary>Most documents one pipeline run accepts, including ones added by update.</summary>
    public const int MaxDocuments = 1000;

    /// <summary>Largest document body accepted, in characters; larger bodies belong in blob storage.</summary>
    public const int MaxContentLength = 64 * 1024;

    /// <summary>
    /// Largest total of document bodies per run, in characters. Keeps every payload (input, a batch)
    /// under the server's 2 MB limit even at 3 UTF-8 bytes per character, and history far below 50 MB.
    /// </summary>
    public const int MaxTotalContentLength = 512 * 1024;

    /// <summary>Default documents per batch.</summary>
    public const int DefaultBatchSize = 5;

    /// <summary>Default review window.</summary>
    public const int DefaultReviewWindowSeconds = 10;

    /// <summary>Default pause between published documents.</summary>
    public const int DefaultPublishDelayMs = 100;

    /// <summary>Returns why <paramref name="input"/> is invalid, or null when it is valid.</summary>
    /// <param name="input">The workflow input as received.</param>
    /// <returns>A message naming the field and the problem, or null.</returns>
    public static string? Validate(DocumentPipelineInput? input)
    {
        if (input is null)
        {
            return "input is required: pass a JSON object such as {\"name\":\"demo\",\"documents\":[{\"id\":\"d1\",\"title\":\"T\",\"content\":\"text\"}]}";
        }

        if (string.IsNullOrWhiteSpace(input.Name))
        {
            return "'name' is required and must not be blank";
        }

        if (input.Name.Length > 200)
        {
            return "'name' must be at most 200 characters";
        }

        if (input.Documents is null)
        {
            return "'documents' is required";
        }

        if (input.Documents.Count == 0)
        {
            return "'documents' must contain at least one document";
        }

        return CheckRange("batchSize", input.BatchSize, 1, 100)
            ?? CheckRange("reviewWindowSeconds", input.ReviewWindowSeconds, 0, 7 * 24 * 3600)
            ?? CheckRange("publishDelayMs", input.PublishDelayMs, 0, 60_000)
            ?? ValidateDocuments(input.Documents, existingIds: null, alreadyAccepted: 0);
    }

    /// <summary>Returns why <paramref name="documents"/> cannot be added, or null when they can.</summary>
    /// <param name="documents">Documents to check.</param>
    /// <param name="existingIds">Ids already in the run, which must not repeat.</param>
    /// <param name="alreadyAccepted">How many documents the run already has.</param>
    /// <param name="alreadyAcceptedContent">Characters of content the run already has.</param>
    /// <returns>A message naming the field and the problem, or null.</returns>
    public static string? ValidateDocuments(
        IReadOnlyList<DocumentInput>? documents, IReadOnlySet<string>? existingIds, int alreadyAccepted, long alreadyAcceptedContent = 0)
    {
        if (documents is null || documents.Count == 0)
        {
            return "at least one document is required";
        }

        if (alreadyAccepted + documents.Count > MaxDocuments)
        {
            return string.Create(CultureInfo.InvariantCulture, $"at most {MaxDocuments} documents per run ({alreadyAccepted + documents.Count} given)");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var totalContent = 0L;
        for (var i = 0; i < documents.Count; i++)
        {
            var doc = documents[i];
            var where = string.Create(CultureInfo.InvariantCulture, $"'documents[{i}]'");
            if (doc is null)
            {
                return where + " must be an object";
            }

            if (string.IsNullOrWhiteSpace(doc.Id))
            {
                return where + ".id is required";
            }

            if (doc.Content is null)
            {
                return where + ".content is required";
            }

            if (doc.Content.Length > MaxContentLength)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{where}.content is {doc.Content.Length} characters; at most {MaxContentLength} allowed");
            }

            if (!seen.Add(doc.Id) || (existingIds?.Contains(doc.Id) ?? false))
            {
                return $"{where}.id '{doc.Id}' is a duplicate";
            }

            totalContent += doc.Content.Length;
        }

        return alreadyAcceptedContent + totalContent > MaxTotalContentLength
            ? string.Create(CultureInfo.InvariantCulture, $"documents hold {alreadyAcceptedContent + totalContent} characters of content in all; at most {MaxTotalContentLength} per run")
            : null;
    }

    private static string? CheckRange(string field, int? value, int min, int max) =>
        value is { } v && (v < min || v > max)
            ? string.Create(CultureInfo.InvariantCulture, $"'{field}' must be between {min} and {max} (got {v})")
            : null;
}
