using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Temporalio.Testing;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.Workflows.Tests;

public sealed class DocumentActivitiesTests
{
    private const string Pipeline = "run";

    [Theory]
    [InlineData("", 0)]
    [InlineData("   \n\t ", 0)]
    [InlineData("one", 1)]
    [InlineData("  one   two\n\nthree\tfour  ", 4)]
    [InlineData("line1\r\nline2", 2)]
    public void CountWords_Whitespace_SeparatesWords(string content, int expected)
    {
        Assert.Equal(expected, DocumentActivities.CountWords(content));
    }

    [Theory]
    [InlineData("Invoice 1001. Amount due: 120 EUR", "invoice")]
    [InlineData("RECEIPT: PAID in full", "receipt")]
    [InlineData("This Agreement is made by each Party", "contract")]
    [InlineData("Quarterly report: summary of findings", "report")]
    [InlineData("Dear Sam, see you on Monday", "other")]
    [InlineData("", "other")]
    public void Classify_Keywords_PickCategoryIgnoringCase(string content, string expected)
    {
        Assert.Equal(expected, DocumentActivities.Classify(content));
    }

    [Fact]
    public void Classify_SeveralCategories_MostKeywordHitsWins()
    {
        // One invoice keyword against three report keywords.
        Assert.Equal("report", DocumentActivities.Classify("invoice report report summary"));
    }

    [Fact]
    public void Classify_Tie_FirstCategoryWins()
    {
        Assert.Equal("invoice", DocumentActivities.Classify("report invoice"));
    }

    [Fact]
    public void AnalyzeDocument_Content_HashesUtf8AsLowercaseHex()
    {
        const string content = "Grüße — invoice total: 12 €";
        var expected = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(content))).ToLowerInvariant();

        var analysis = DocumentActivities.AnalyzeDocument(new DocumentInput("d1", "Title", content));

        Assert.Equal(new DocumentAnalysis("d1", "Title", "invoice", 6, expected), analysis);
    }

    [Fact]
    public void AnalyzeDocument_EmptyContent_HashesEmptyString()
    {
        var analysis = DocumentActivities.AnalyzeDocument(new DocumentInput("d1", "Title", string.Empty));

        // SHA-256 of zero bytes, a well-known constant.
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", analysis.Sha256);
        Assert.Equal(0, analysis.WordCount);
        Assert.Equal("other", analysis.Category);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void AnalyzeDocument_BlankTitle_FallsBackToId(string? title)
    {
        var analysis = DocumentActivities.AnalyzeDocument(new DocumentInput("doc-7", title, "text"));

        Assert.Equal("doc-7", analysis.Title);
    }

    [Fact]
    public async Task PublishAsync_AllDocuments_UpsertsEachAndHeartbeatsProgress()
    {
        var index = new InMemoryDocumentIndex();
        var heartbeats = new List<int>();
        var env = CreateEnvironment(heartbeats);
        var activities = new DocumentActivities(index, new FakeTimeProvider());
        var request = new PublishRequest(Pipeline, Analyses(4), DelayMs: 0);

        var published = await env.RunAsync(() => activities.PublishAsync(request));

        Assert.Equal(4, published);
        Assert.Equal(4, index.Count(Pipeline));
        // No heartbeat for the last document: the completion itself reports it.
        Assert.Equal([1, 2, 3], heartbeats);
    }

    [Fact]
    public async Task PublishAsync_HeartbeatDetailFromPreviousAttempt_ResumesAfterIt()
    {
        var index = new RecordingIndex();
        var heartbeats = new List<int>();
        var env = CreateEnvironment(heartbeats, resumeFrom: 2);
        var activities = new DocumentActivities(index, new FakeTimeProvider());

        var published = await env.RunAsync(
            () => activities.PublishAsync(new PublishRequest(Pipeline, Analyses(5), DelayMs: 0)));

        Assert.Equal(["d3", "d4", "d5"], index.UpsertedIds);
        Assert.Equal([3, 4], heartbeats);

        // All five documents of the request are in the index, two of them from the earlier attempt.
        Assert.Equal(5, published);
    }

    // The timeout fails the test if the pause ran on the real clock instead of the fake one.
    [Fact(Timeout = 10_000)]
    public async Task PublishAsync_Delay_WaitsOnTimeProviderAndHeartbeatsWhileWaiting()
    {
        var index = new RecordingIndex();
        var time = new FakeTimeProvider();
        var heartbeats = new List<int>();
        var env = CreateEnvironment(heartbeats);
        var activities = new DocumentActivities(index, time);

        var run = env.RunAsync(
            () => activities.PublishAsync(new PublishRequest(Pipeline, Analyses(2), DelayMs: 60_000)));
        await index.WaitForUpsertsAsync(1);

        time.Advance(TimeSpan.FromMilliseconds(59_999));
        Assert.Equal(["d1"], index.UpsertedIds);

        // Move the fake clock on until the pause ends; no real time passes.
        while (!run.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        Assert.Equal(2, await run);
        Assert.Equal(["d1", "d2"], index.UpsertedIds);

        // One heartbeat after d1, then more during the minute-long pause, all reporting 1 done: a pause
        // longer than the heartbeat timeout must not look like a dead worker.
        int[] seen;
        lock (heartbeats)
        {
            seen = [.. heartbeats];
        }

        Assert.True(seen.Length >= 2, $"expected heartbeats during the pause, got {seen.Length}");
        Assert.All(seen, progress => Assert.Equal(1, progress));
    }

    // The fake clock never moves, so a pause after the last document would hit the timeout.
    [Fact(Timeout = 10_000)]
    public async Task PublishAsync_LastDocument_IsNotFollowedByDelay()
    {
        var index = new RecordingIndex();
        var env = CreateEnvironment([]);
        var activities = new DocumentActivities(index, new FakeTimeProvider());

        var published = await env.RunAsync(
            () => activities.PublishAsync(new PublishRequest(Pipeline, Analyses(1), DelayMs: 60_000)));

        Assert.Equal(1, published);
    }

    [Fact(Timeout = 10_000)]
    public async Task PublishAsync_CancelledDuringDelay_StopsAndThrows()
    {
        var index = new RecordingIndex();
        var heartbeats = new List<int>();
        var env = CreateEnvironment(heartbeats);
        var activities = new DocumentActivities(index, new FakeTimeProvider());

        var run = env.RunAsync(
            () => activities.PublishAsync(new PublishRequest(Pipeline, Analyses(3), DelayMs: 60_000)));
        await index.WaitForUpsertsAsync(1);
        env.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(["d1"], index.UpsertedIds);
        Assert.Equal([1], heartbeats);
    }

    [Fact]
    public async Task PublishAsync_IndexUnavailable_PropagatesSoTemporalRetries()
    {
        var outage = new DocumentIndexUnavailableException("index is down");
        var index = new RecordingIndex { FailOnUpsertNumber = 2, Failure = outage };
        var heartbeats = new List<int>();
        var env = CreateEnvironment(heartbeats);
        var activities = new DocumentActivities(index, new FakeTimeProvider());

        var thrown = await Assert.ThrowsAsync<DocumentIndexUnavailableException>(
            () => env.RunAsync(() => activities.PublishAsync(new PublishRequest(Pipeline, Analyses(3), DelayMs: 0))));

        Assert.Same(outage, thrown);

        // The last heartbeat is the resume point of the retry: document 2 is published again.
        Assert.Equal([1], heartbeats);
    }

    private static ActivityEnvironment CreateEnvironment(List<int> heartbeats, int? resumeFrom = null)
    {
        var details = resumeFrom is { } from
            ? [PipelineDataConverter.Instance.PayloadConverter.ToPayload(from)]
            : Array.Empty<Temporalio.Api.Common.V1.Payload>();
        return new ActivityEnvironment
        {
            Info = ActivityEnvironment.DefaultInfo with
            {
                HeartbeatDetails = details,
                DataConverter = PipelineDataConverter.Instance,
                Attempt = resumeFrom is null ? 1 : 2,
            },
            PayloadConverter = PipelineDataConverter.Instance.PayloadConverter,
            Heartbeater = values =>
            {
                lock (heartbeats)
                {
                    heartbeats.Add(Assert.IsType<int>(Assert.Single(values)));
                }
            },
        };
    }

    private static List<DocumentAnalysis> Analyses(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new DocumentAnalysis($"d{i}", $"Doc {i}", "other", 1, "hash"))];

    private sealed class RecordingIndex : IDocumentIndex
    {
        private readonly List<string> upserted = [];
        private readonly Channel<string> upserts = Channel.CreateUnbounded<string>();

        public int FailOnUpsertNumber { get; init; }

        public Exception? Failure { get; init; }

        public IReadOnlyList<string> UpsertedIds
        {
            get
            {
                lock (upserted)
                {
                    return [.. upserted];
                }
            }
        }

        public Task UpsertAsync(string pipelineName, DocumentAnalysis document, CancellationToken cancellationToken)
        {
            lock (upserted)
            {
                if (upserted.Count + 1 == FailOnUpsertNumber && Failure is not null)
                {
                    throw Failure;
                }

                upserted.Add(document.Id);
            }

            upserts.Writer.TryWrite(document.Id);
            return Task.CompletedTask;
        }

        public int Count(string pipelineName) => UpsertedIds.Count;

        public async Task WaitForUpsertsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await upserts.Reader.ReadAsync(TestContext.Current.CancellationToken);
            }
        }
    }
}
