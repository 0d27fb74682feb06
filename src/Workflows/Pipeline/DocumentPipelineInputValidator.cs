using System.Globalization;

namespace Watchtower.Workflows.Pipeline;

/// <summary>
/// Checks pipeline inputs, added documents and review decisions. Pure and deterministic, so the
/// workflow, the update validators and the dispatcher all use it and report the same readable message.
/// Every value a caller provides has a bound, and messages name the field and the rule, never echo the
/// value: a duplicate id is named by its position.
/// </summary>
public static class DocumentPipelineInputValidator
{
    /// <summary>Longest run name, in characters.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Most documents one pipeline run accepts, including ones added by update.</summary>
    public const int MaxDocuments = 1000;

    /// <summary>Longest document id, in characters.</summary>
    public const int MaxIdLength = 128;

    /// <summary>Longest document title, in characters.</summary>
    public const int MaxTitleLength = 500;

    /// <summary>Largest document body accepted, in characters; larger bodies belong in blob storage.</summary>
    public const int MaxContentLength = 64 * 1024;

    /// <summary>Largest total of document bodies per run, in characters.</summary>
    public const int MaxTotalContentLength = 512 * 1024;

    /// <summary>
    /// Most bytes the documents of one run (input and added) take as JSON, as this project's converter
    /// writes them. Every payload the worker sends on (a batch, the publish request, a dispatched
    /// pipeline) holds at most these documents and a little more, so it stays within
    /// <see cref="PayloadBudget.MaxBytes"/>, well below the server's 2 MB limit. Characters take 1 to 6
    /// bytes (CJK 3, control characters 6), so this and the character limits bind in turn.
    /// </summary>
    public const int MaxDocumentsBytes = 1024 * 1024;

    /// <summary>Longest reviewer name, in characters.</summary>
    public const int MaxReviewerLength = 200;

    /// <summary>Longest review comment, in characters.</summary>
    public const int MaxCommentLength = 2000;

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
            return "input is required: pass a JSON object such as "
                + "{\"name\":\"demo\",\"documents\":[{\"id\":\"d1\",\"title\":\"T\",\"content\":\"text\"}]}";
        }

        if (string.IsNullOrWhiteSpace(input.Name))
        {
            return "'name' is required and must not be blank";
        }

        if (input.Name.Length > MaxNameLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"'name' must be at most {MaxNameLength} characters");
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
    /// <param name="alreadyAcceptedBytes">Bytes the run's documents already take as JSON.</param>
    /// <returns>A message naming the field and the problem, or null.</returns>
    public static string? ValidateDocuments(
        IReadOnlyList<DocumentInput>? documents,
        IReadOnlySet<string>? existingIds,
        int alreadyAccepted,
        long alreadyAcceptedContent = 0,
        long alreadyAcceptedBytes = 0)
    {
        if (documents is null || documents.Count == 0)
        {
            return "at least one document is required";
        }

        if (alreadyAccepted + documents.Count > MaxDocuments)
        {
            return string.Create(
                CultureInfo.InvariantCulture,
                $"at most {MaxDocuments} documents per run ({alreadyAccepted + documents.Count} given)");
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var totalContent = 0L;
        for (var i = 0; i < documents.Count; i++)
        {
            var doc = documents[i];
            var where = string.Create(CultureInfo.InvariantCulture, $"'documents[{i}]");
            if (doc is null)
            {
                return where + "' must be an object";
            }

            if (string.IsNullOrWhiteSpace(doc.Id))
            {
                return where + ".id' is required";
            }

            if ((CheckLength(where + ".id'", doc.Id, MaxIdLength)
                ?? CheckLength(where + ".title'", doc.Title, MaxTitleLength)) is { } tooLong)
            {
                return tooLong;
            }

            if (doc.Content is null)
            {
                return where + ".content' is required";
            }

            if (CheckLength(where + ".content'", doc.Content, MaxContentLength) is { } tooLongContent)
            {
                return tooLongContent;
            }

            if (seen.TryGetValue(doc.Id, out var first))
            {
                return string.Create(CultureInfo.InvariantCulture, $"{where}.id' repeats 'documents[{first}].id'");
            }

            if (existingIds?.Contains(doc.Id) ?? false)
            {
                return where + ".id' is already in the run";
            }

            seen[doc.Id] = i;
            totalContent += doc.Content.Length;
        }

        if (alreadyAcceptedContent + totalContent > MaxTotalContentLength)
        {
            var characters = alreadyAcceptedContent + totalContent;
            return string.Create(
                CultureInfo.InvariantCulture,
                $"documents hold {characters} characters of content in all; at most {MaxTotalContentLength} per run");
        }

        const string BytesPerCharacter = "(most characters take 1 byte, CJK 3, control characters 6)";
        var bytes = alreadyAcceptedBytes + DocumentsBytes(documents);
        return bytes > MaxDocumentsBytes
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"documents take {bytes} bytes as JSON; at most {MaxDocumentsBytes} per run {BytesPerCharacter}")
            : null;
    }

    /// <summary>Returns why a review decision cannot decide the run, or null when it can.</summary>
    /// <param name="decision">The decision as received.</param>
    /// <returns>A message naming the field and the problem, or null.</returns>
    public static string? ValidateReview(ReviewDecision? decision) =>
        decision switch
        {
            null => "a decision is required: send {\"approved\":true,\"reviewer\":\"alice\"}",
            { DecodeError: { } error } => error,
            { Approved: null } => "'approved' is required: true to publish, false to reject",
            _ => CheckLength("'reviewer'", decision.Reviewer, MaxReviewerLength)
                ?? CheckLength("'comment'", decision.Comment, MaxCommentLength),
        };

    /// <summary>Bytes <paramref name="documents"/> take as JSON, as this project's converter writes them.</summary>
    /// <param name="documents">The documents.</param>
    /// <returns>The byte count.</returns>
    public static int DocumentsBytes(IReadOnlyList<DocumentInput> documents) =>
        (int)Math.Min(int.MaxValue, PipelineDataConverter.EncodedBytes(documents));

    private static string? CheckLength(string field, string? value, int max) =>
        value is { Length: var length } && length > max
            ? string.Create(CultureInfo.InvariantCulture, $"{field} is {length} characters; at most {max} allowed")
            : null;

    private static string? CheckRange(string field, int? value, int min, int max) =>
        value is { } v && (v < min || v > max)
            ? string.Create(CultureInfo.InvariantCulture, $"'{field}' must be between {min} and {max} (got {v})")
            : null;
}
