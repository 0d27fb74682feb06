using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Temporalio.Activities;

namespace Watchtower.Workflows.Pipeline;

/// <summary>Activities of the document pipeline. Registered through DI with their dependencies.</summary>
/// <param name="index">Where published documents go.</param>
/// <param name="timeProvider">Clock for the publish pacing, replaceable in tests.</param>
public sealed partial class DocumentActivities(IDocumentIndex index, TimeProvider timeProvider)
{
    /// <summary>
    /// Longest wait between heartbeats during a pause; well inside the workflow's 5 s heartbeat timeout.
    /// </summary>
    private static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(2);

    // Whole words only, so "vat" does not match "private" nor "report" match "reporter".
    private static readonly (string Category, Regex Keywords)[] Categories =
    [
        ("invoice", InvoiceKeywords()),
        ("receipt", ReceiptKeywords()),
        ("contract", ContractKeywords()),
        ("report", ReportKeywords()),
    ];

    /// <summary>Analyses one document: category, word count and content hash.</summary>
    /// <param name="document">A validated document.</param>
    /// <returns>The analysis.</returns>
    [Activity("analyzeDocument")]
    public static DocumentAnalysis AnalyzeDocument(DocumentInput document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var content = document.Content ?? string.Empty;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
        return new DocumentAnalysis(
            document.Id ?? string.Empty,
            string.IsNullOrWhiteSpace(document.Title) ? document.Id ?? string.Empty : document.Title,
            Classify(content),
            CountWords(content),
            hash);
    }

    /// <summary>
    /// Publishes documents to the index, one at a time with a pause between them. Heartbeats its
    /// progress, also during long pauses, so a retry resumes where the last attempt stopped and a
    /// cancellation is noticed promptly.
    /// </summary>
    /// <param name="request">What to publish.</param>
    /// <returns>How many documents of the request are in the index afterwards.</returns>
    [Activity("publishDocuments")]
    public async Task<int> PublishAsync(PublishRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var context = ActivityExecutionContext.Current;
        var started = Stopwatch.GetTimestamp();
        var start = context.Info.HeartbeatDetails.Count > 0
            ? await context.Info.HeartbeatDetailAtAsync<int>(0).ConfigureAwait(false)
            : 0;
        if (start > 0)
        {
            Log.PublishResumed(context.Logger, start, request.Documents.Count, context.Info.Attempt);
        }

        var delay = TimeSpan.FromMilliseconds(request.DelayMs);
        for (var i = start; i < request.Documents.Count; i++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            await index.UpsertAsync(request.PipelineName, request.Documents[i], context.CancellationToken)
                .ConfigureAwait(false);

            // Nothing left: completing reports the outcome, and a last heartbeat racing the completion
            // only earns an "unknown activity" warning from the server.
            if (i + 1 == request.Documents.Count)
            {
                break;
            }

            // Progress is the number of documents already in the index: the resume point of a retry.
            context.Heartbeat(i + 1);
            await PauseAsync(delay, context, i + 1).ConfigureAwait(false);
        }

        Log.DocumentsPublished(
            context.Logger, request.Documents.Count - start, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return request.Documents.Count;
    }

    /// <summary>
    /// Waits <paramref name="delay"/>, heartbeating at least every <see cref="HeartbeatEvery"/> so a
    /// pause longer than the heartbeat timeout is not mistaken for a dead worker.
    /// </summary>
    private async Task PauseAsync(TimeSpan delay, ActivityExecutionContext context, int progress)
    {
        var until = timeProvider.GetUtcNow() + delay;
        for (var left = delay; left > TimeSpan.Zero; left = until - timeProvider.GetUtcNow())
        {
            await Task.Delay(left < HeartbeatEvery ? left : HeartbeatEvery, timeProvider, context.CancellationToken)
                .ConfigureAwait(false);
            context.Heartbeat(progress);
        }
    }

    /// <summary>Counts whitespace-separated words.</summary>
    /// <param name="content">Text to count.</param>
    /// <returns>The number of words.</returns>
    public static int CountWords(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var words = 0;
        var inWord = false;
        foreach (var c in content)
        {
            if (char.IsWhiteSpace(c))
            {
                inWord = false;
            }
            else if (!inWord)
            {
                inWord = true;
                words++;
            }
        }

        return words;
    }

    /// <summary>Picks the category whose keywords occur most often; "other" when none occurs.</summary>
    /// <param name="content">Text to classify.</param>
    /// <returns>The category name.</returns>
    public static string Classify(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var best = "other";
        var bestScore = 0;
        foreach (var (category, keywords) in Categories)
        {
            var score = keywords.Count(content);
            if (score > bestScore)
            {
                best = category;
                bestScore = score;
            }
        }

        return best;
    }

    [GeneratedRegex(@"\b(invoice|amount due|bill to|vat)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex InvoiceKeywords();

    [GeneratedRegex(
        @"\b(receipt|paid|thank you for your purchase)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ReceiptKeywords();

    [GeneratedRegex(@"\b(agreement|contract|party|hereby)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ContractKeywords();

    [GeneratedRegex(@"\b(report|summary|quarter|findings)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ReportKeywords();
}
