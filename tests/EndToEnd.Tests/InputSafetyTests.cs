using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Watchtower.EndToEnd.Tests.Infrastructure;
using Watchtower.Workflows;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.EndToEnd.Tests;

/// <summary>
/// Input at every bound, sent as a user sends it (the Temporal CLI, a JSON file, raw payloads): what passes
/// validation completes, what is one step over fails at once, readable and not retried, and nothing leaves
/// a run stuck on a workflow task that fails for ever.
/// </summary>
public sealed class InputSafetyTests(DevServerFixture server)
{
    /// <summary>
    /// Long enough for a large pipeline to finish here; a run stuck on a failing task never does.
    /// </summary>
    private static readonly TimeSpan Completes = TimeSpan.FromSeconds(90);

    public static TheoryData<string> MaximalInputs => ["cjk", "markup", "longest-ids-and-titles"];

    [Theory(Timeout = TestTimeouts.EndToEnd)]
    [MemberData(nameof(MaximalInputs))]
    public async Task DocumentPipeline_MaximalValidInputInOneBatch_Completes(string kind)
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var input = Maximal(kind);
        Assert.Null(DocumentPipelineInputValidator.Validate(input));
        var id = $"max-{kind}-{Guid.NewGuid():N}";

        await StartFromFileAsync(
            cli, worker, id, JsonSerializer.Serialize(input, PipelineDataConverter.SerializerOptions));

        var handle = server.Client.GetWorkflowHandle<DocumentPipelineWorkflow>(id);
        var result = await WaitForResultAsync(handle, $"the maximal '{kind}' pipeline to complete");
        Assert.Equal(input.Documents!.Count, result.DocumentsPublished);
        Assert.Equal(1, result.Batches);
        await AssertNoWorkflowTaskFailedAsync(handle);
    }

    public static TheoryData<string, string> OneStepOver => new()
    {
        { "id", "'documents[0].id' is 129 characters; at most 128 allowed" },
        { "title", "'documents[0].title' is 501 characters; at most 500 allowed" },
        { "bytes", "documents take 1048577 bytes as JSON" },
        { "name", "'name' must be at most 200 characters" },
    };

    [Theory(Timeout = TestTimeouts.EndToEnd)]
    [MemberData(nameof(OneStepOver))]
    public async Task DocumentPipeline_InputOneStepOverABound_FailsAtOnceNonRetryable(string bound, string reason)
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var input = OneOver(bound);
        var id = $"over-{bound}-{Guid.NewGuid():N}";

        await StartFromFileAsync(
            cli, worker, id, JsonSerializer.Serialize(input, PipelineDataConverter.SerializerOptions));

        var failure = await ExpectInvalidInputAsync(server.Client.GetWorkflowHandle(id));
        Assert.Contains(reason, failure.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task DocumentPipeline_DuplicateIdOfAnyLength_NamedByPositionNotEchoed()
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var secret = new string('s', 100);
        var input = new DocumentPipelineInput(
            "dup", [new(secret, "a", "x"), new(secret, "b", "y")], ReviewWindowSeconds: 0);
        var id = "dup-" + Guid.NewGuid().ToString("N");

        await StartFromFileAsync(
            cli, worker, id, JsonSerializer.Serialize(input, PipelineDataConverter.SerializerOptions));

        var failure = await ExpectInvalidInputAsync(server.Client.GetWorkflowHandle(id));
        Assert.Contains("'documents[1].id' repeats 'documents[0].id'", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, failure.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> NotJson => ["binary/plain", "no-encoding", "invalid-utf8", "json/protobuf"];

    [Theory(Timeout = TestTimeouts.EndToEnd)]
    [MemberData(nameof(NotJson))]
    public async Task DocumentPipeline_InputThatIsNotJson_FailsAtOnceWithReadableReason(string kind)
    {
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var payload = kind switch
        {
            "binary/plain" => Raw("binary/plain", Encoding.UTF8.GetBytes("""{"name":"x"}""")),
            "no-encoding" => new Payload { Data = ByteString.CopyFromUtf8("""{"name":"x"}""") },
            "invalid-utf8" => Raw("json/plain", [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D]),
            _ => Raw("json/protobuf", Encoding.UTF8.GetBytes("{}")),
        };
        var id = $"notjson-{kind.Replace('/', '-')}-{Guid.NewGuid():N}";

        await server.Client.StartWorkflowAsync("DocumentPipeline", [new RawValue(payload)], worker.Options(id));

        var failure = await ExpectInvalidInputAsync(server.Client.GetWorkflowHandle(id));
        Assert.StartsWith("Invalid DocumentPipeline input: the input ", failure.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task ReviewSignal_Malformed_IgnoredWithAWarningAndShownInCurrentDetails()
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var id = "review-signal-" + Guid.NewGuid().ToString("N");
        var input = Documents.Pipeline(documents: 1, reviewWindowSeconds: 600);
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options(id));
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress), p => p.Stage == PipelineStage.AwaitingReview, "AwaitingReview");

        foreach (var malformed in new[] { "{}", """{"aproved":true,"reviewer":"eve"}""", """{"approved":"yes"}""" })
        {
            await cli.TextAsync("workflow", "signal", "--workflow-id", id, "--name", "review", "--input", malformed);
        }

        await worker.WaitForLogAsync("ReviewIgnored", "the malformed review signals to be ignored");
        var details = await Eventually.UntilAsync(
            () => TestTools.CurrentDetailsAsync(handle),
            d => d.Contains("ignored", StringComparison.Ordinal),
            "the current details to show the ignored review");
        Assert.Contains("'approved'", details, StringComparison.Ordinal);
        Assert.Equal(WorkflowExecutionStatus.Running, (await handle.DescribeAsync()).Status);

        await cli.TextAsync(
            "workflow", "signal", "--workflow-id", id, "--name", "review",
            "--input", """{"approved":true,"reviewer":"alice"}""");
        Assert.Equal("alice", (await WaitForResultAsync(handle, "the approved pipeline to complete")).ApprovedBy);
    }

    [Fact(Timeout = TestTimeouts.EndToEnd)]
    public async Task ReviewUpdate_FromCli_MalformedRejectedNamingTheFieldValidDecides()
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var id = "review-update-" + Guid.NewGuid().ToString("N");
        var input = Documents.Pipeline(documents: 1, reviewWindowSeconds: 600);
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options(id));
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress), p => p.Stage == PipelineStage.AwaitingReview, "AwaitingReview");

        var missing = await cli.RunAsync(
            "workflow", "update", "execute", "--workflow-id", id, "--name", "review", "--input", "{}");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("'approved' is required", missing.Output + missing.Error, StringComparison.Ordinal);
        var tooLong = await cli.RunAsync(
            "workflow", "update", "execute", "--workflow-id", id, "--name", "review",
            "--input",
            JsonSerializer.Serialize(new { approved = false, reviewer = "bob", comment = new string('c', 2001) }));
        Assert.Contains(
            "'comment' is 2001 characters; at most 2000 allowed",
            tooLong.Output + tooLong.Error,
            StringComparison.Ordinal);

        var accepted = await cli.TextAsync(
            "workflow", "update", "execute", "--workflow-id", id, "--name", "review",
            "--input", """{"approved":true,"reviewer":"carol"}""");
        Assert.Contains("approved by carol", accepted, StringComparison.Ordinal);
        Assert.Equal(
            "carol", (await WaitForResultAsync(handle, "the pipeline approved by update to complete")).ApprovedBy);
    }

    public static TheoryData<string, string, string> UndecodableAdditions => new()
    {
        { """{"id":"late","content":"x"}""", "json/plain", "the argument has the wrong type" },
        { "\"not a list\"", "json/plain", "the argument has the wrong type" },
        { """[{"id":"late","content":"x"}]""", "binary/plain", "the argument has encoding 'binary/plain'" },
    };

    [Theory(Timeout = TestTimeouts.EndToEnd)]
    [MemberData(nameof(UndecodableAdditions))]
    public async Task AddDocumentsUpdate_ArgumentThatCannotBeRead_RejectedReadablyAndTheRunGoesOn(
        string json, string encoding, string reason)
    {
        var cli = new TemporalCli(server.RequireCli(), server.TargetHost);
        await using var worker = await WorkerHarness.StartAsync(server.TargetHost);
        var input = Documents.Pipeline(documents: 30, batchSize: 1, reviewWindowSeconds: 600);
        var id = "undecodable-" + Guid.NewGuid().ToString("N");
        var handle = await server.Client.StartWorkflowAsync(
            (DocumentPipelineWorkflow wf) => wf.RunAsync(input), worker.Options(id));
        await Eventually.UntilAsync(
            () => handle.QueryAsync(wf => wf.Progress), p => p.Stage == PipelineStage.Analyzing, "Analyzing");

        var update = await cli.RunAsync(
            "workflow", "update", "execute", "--workflow-id", id, "--name", "addDocuments",
            "--input", json, "--input-meta", "encoding=" + encoding);

        Assert.NotEqual(0, update.ExitCode);
        Assert.Contains(
            "Update addDocuments had failure decoding parameters",
            update.Output + update.Error,
            StringComparison.Ordinal);
        Assert.Contains(reason, update.Output + update.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", update.Output + update.Error, StringComparison.Ordinal);
        await handle.SignalAsync(wf => wf.ReviewAsync(new ReviewDecision(true, "alice")));
        Assert.Equal(
            30,
            (await WaitForResultAsync(handle, "the pipeline to complete after the rejected update"))
                .DocumentsPublished);
        await AssertNoWorkflowTaskFailedAsync(handle);
    }

    /// <summary>The largest input of each kind that the validator accepts, all of it in one batch.</summary>
    internal static DocumentPipelineInput Maximal(string kind)
    {
        const int Budget = DocumentPipelineInputValidator.MaxDocumentsBytes;
        return kind switch
        {
            // CJK takes 3 bytes a character as UTF-8: the byte budget binds before the character limit.
            "cjk" => FillBytes(Budget, '文'),

            // Characters the default encoder escapes to 6 bytes each; the character limit binds.
            "markup" => Split(
                new string('<', 1) + string.Concat(
                    Enumerable.Repeat("<>&+'", DocumentPipelineInputValidator.MaxTotalContentLength / 5)),
                8),
            _ => new DocumentPipelineInput(
                new string('n', 200),
                [.. Enumerable.Range(0, 100).Select(i => new DocumentInput(
                    i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) + new string('i', 125),
                    new string('t', 500),
                    "Invoice. Amount due: 10 EUR"))],
                BatchSize: 100,
                ReviewWindowSeconds: 0,
                PublishDelayMs: 0),
        };
    }

    private static DocumentPipelineInput OneOver(string bound) => bound switch
    {
        "id" => Pipeline([new DocumentInput(new string('i', 129), "t", "x")]),
        "title" => Pipeline([new DocumentInput("d1", new string('t', 501), "x")]),
        "bytes" => OneByteOver(),
        _ => new DocumentPipelineInput(new string('n', 201), [new("d1", "t", "x")], ReviewWindowSeconds: 0),
    };

    /// <summary>
    /// CJK documents whose JSON is exactly one byte over the budget (within every character limit): the
    /// budget filled with CJK, then topped up with ASCII to one byte past it.
    /// </summary>
    private static DocumentPipelineInput OneByteOver()
    {
        const int Budget = DocumentPipelineInputValidator.MaxDocumentsBytes;
        var documents = FillBytes(Budget - 1000, '文').Documents!.ToList();
        var topUp = new DocumentInput("top-up", "T", string.Empty);
        var room = Budget + 1 - DocumentPipelineInputValidator.DocumentsBytes([.. documents, topUp]);
        documents.Add(topUp with { Content = new string('a', room) });
        return Pipeline(documents);
    }

    /// <summary>
    /// Documents of one character filling the byte budget exactly, at most the per-document length each.
    /// </summary>
    private static DocumentPipelineInput FillBytes(int budget, char character)
    {
        var perChar = Encoding.UTF8.GetByteCount([character]);
        var documents = new List<DocumentInput>();
        for (var i = 0; ; i++)
        {
            var document = new DocumentInput($"d{i}", $"T{i}", string.Empty);
            var room = budget - DocumentPipelineInputValidator.DocumentsBytes([.. documents, document]);
            var length = Math.Min(DocumentPipelineInputValidator.MaxContentLength, room / perChar);
            if (length <= 0)
            {
                break;
            }

            documents.Add(document with { Content = new string(character, length) });
            if (length < DocumentPipelineInputValidator.MaxContentLength)
            {
                break;
            }
        }

        return Pipeline(documents);
    }

    private static DocumentPipelineInput Split(string content, int parts)
    {
        var size = (content.Length + parts - 1) / parts;
        return Pipeline([.. Enumerable.Range(0, parts)
            .Select(i => new DocumentInput(
                $"m{i}",
                $"Markup {i}",
                content.Substring(i * size, Math.Min(size, content.Length - (i * size)))))]);
    }

    private static DocumentPipelineInput Pipeline(List<DocumentInput> documents) =>
        new(
            "bounds",
            documents,
            BatchSize: Math.Max(1, Math.Min(100, documents.Count)),
            ReviewWindowSeconds: 0,
            PublishDelayMs: 0);

    private static Payload Raw(string encoding, byte[] data) =>
        new() { Metadata = { ["encoding"] = ByteString.CopyFromUtf8(encoding) }, Data = ByteString.CopyFrom(data) };

    /// <summary>Starts a pipeline as a user would with a large input: the CLI reading a JSON file.</summary>
    private static async Task StartFromFileAsync(TemporalCli cli, WorkerHarness worker, string id, string json)
    {
        var file = Path.Combine(Path.GetTempPath(), $"watchtower-input-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json, new UTF8Encoding(false), TestContext.Current.CancellationToken);
        try
        {
            await cli.TextAsync(
                "workflow", "start", "--task-queue", worker.TaskQueue, "--type", "DocumentPipeline",
                "--workflow-id", id, "--input-file", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<DocumentPipelineResult> WaitForResultAsync(WorkflowHandle handle, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Completes);
        try
        {
            return await handle.GetResultAsync<DocumentPipelineResult>(
                rpcOptions: new() { CancellationToken = timeout.Token });
        }
        catch (Exception e)
            when (timeout.IsCancellationRequested && !TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            var failures = (await handle.FetchHistoryAsync()).Events
                .Count(h => h.EventType == EventType.WorkflowTaskFailed);
            throw new TimeoutException(
                $"Timed out after {Completes.TotalSeconds} s waiting for {what}; {failures} workflow task failures",
                e);
        }
    }

    /// <summary>
    /// The run failed, not retried, with the InvalidInput failure, and no workflow task ever failed.
    /// </summary>
    private static async Task<ApplicationFailureException> ExpectInvalidInputAsync(WorkflowHandle handle)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Completes);
        var failed = await Assert.ThrowsAsync<WorkflowFailedException>(
            () => handle.GetResultAsync<DocumentPipelineResult>(
                rpcOptions: new() { CancellationToken = timeout.Token }));
        var failure = Assert.IsType<ApplicationFailureException>(failed.InnerException);
        Assert.Equal(DocumentPipelineWorkflow.InvalidInputErrorType, failure.ErrorType);
        Assert.True(failure.NonRetryable);
        await AssertNoWorkflowTaskFailedAsync(handle);
        return failure;
    }

    private static async Task AssertNoWorkflowTaskFailedAsync(WorkflowHandle handle)
    {
        var history = await handle.FetchHistoryAsync();
        Assert.DoesNotContain(history.Events, e => e.EventType == EventType.WorkflowTaskFailed);
    }
}
