using Watchtower.Workflows.Pipeline;

namespace Watchtower.Workflows.Tests;

public sealed class DocumentPipelineInputValidatorTests
{
    private static readonly DocumentInput ValidDocument = new("d1", "Title", "some text");

    [Fact]
    public void Validate_NullInput_ExplainsExpectedShape()
    {
        var error = DocumentPipelineInputValidator.Validate(null);

        Assert.Equal(
            "input is required: pass a JSON object such as "
                + "{\"name\":\"demo\",\"documents\":[{\"id\":\"d1\",\"title\":\"T\",\"content\":\"text\"}]}",
            error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_BlankName_NamesField(string? name)
    {
        var error = DocumentPipelineInputValidator.Validate(new DocumentPipelineInput(name, [ValidDocument]));

        Assert.Equal("'name' is required and must not be blank", error);
    }

    [Fact]
    public void Validate_NameTooLong_NamesLimit()
    {
        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput(new string('n', 201), [ValidDocument]));

        Assert.Equal("'name' must be at most 200 characters", error);
    }

    [Fact]
    public void Validate_MissingDocuments_NamesField()
    {
        var error = DocumentPipelineInputValidator.Validate(new DocumentPipelineInput("run", null));

        Assert.Equal("'documents' is required", error);
    }

    [Fact]
    public void Validate_EmptyDocuments_NamesField()
    {
        var error = DocumentPipelineInputValidator.Validate(new DocumentPipelineInput("run", []));

        Assert.Equal("'documents' must contain at least one document", error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void Validate_BatchSizeOutOfRange_NamesFieldAndBounds(int batchSize)
    {
        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput("run", [ValidDocument], BatchSize: batchSize));

        Assert.Equal($"'batchSize' must be between 1 and 100 (got {batchSize})", error);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void Validate_BatchSizeAtBounds_ReturnsNull(int batchSize)
    {
        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput("run", [ValidDocument], BatchSize: batchSize));

        Assert.Null(error);
    }

    [Fact]
    public void Validate_NegativeReviewWindow_NamesFieldAndBounds()
    {
        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput("run", [ValidDocument], ReviewWindowSeconds: -1));

        Assert.Equal("'reviewWindowSeconds' must be between 0 and 604800 (got -1)", error);
    }

    [Fact]
    public void Validate_PublishDelayTooBig_NamesFieldAndBounds()
    {
        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput("run", [ValidDocument], PublishDelayMs: 60_001));

        Assert.Equal("'publishDelayMs' must be between 0 and 60000 (got 60001)", error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(" ")]
    public void Validate_DocumentWithoutId_NamesIndex(string? id)
    {
        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput("run", [ValidDocument, new DocumentInput(id, "T", "text")]));

        Assert.Equal("'documents[1].id' is required", error);
    }

    [Fact]
    public void Validate_NullDocument_NamesIndex()
    {
        var error = DocumentPipelineInputValidator.Validate(new DocumentPipelineInput("run", [null!]));

        Assert.Equal("'documents[0]' must be an object", error);
    }

    [Fact]
    public void Validate_DocumentWithoutContent_NamesIndex()
    {
        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput("run", [new DocumentInput("d1", "T", null)]));

        Assert.Equal("'documents[0].content' is required", error);
    }

    [Fact]
    public void Validate_ContentTooLong_NamesLengthAndLimit()
    {
        var content = new string('x', DocumentPipelineInputValidator.MaxContentLength + 1);

        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput("run", [new DocumentInput("d1", "T", content)]));

        Assert.Equal("'documents[0].content' is 65537 characters; at most 65536 allowed", error);
    }

    [Fact]
    public void Validate_ContentAtLimit_ReturnsNull()
    {
        var content = new string('x', DocumentPipelineInputValidator.MaxContentLength);

        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput("run", [new DocumentInput("d1", "T", content)]));

        Assert.Null(error);
    }

    [Fact]
    public void Validate_TotalContentOverRunLimit_NamesTotalAndLimit()
    {
        // Each body is allowed on its own; together they would exceed the server's payload limit.
        var documents = Enumerable.Range(0, 9)
            .Select(i =>
                new DocumentInput($"d{i}", null, new string('x', DocumentPipelineInputValidator.MaxContentLength)))
            .ToList();

        var error = DocumentPipelineInputValidator.Validate(new DocumentPipelineInput("run", documents));

        Assert.Equal("documents hold 589824 characters of content in all; at most 524288 per run", error);
    }

    [Fact]
    public void ValidateDocuments_AddedContentOverRunLimit_CountsWhatTheRunHolds()
    {
        var error = DocumentPipelineInputValidator.ValidateDocuments(
            [new DocumentInput("d9", null, "xy")],
            existingIds: null,
            alreadyAccepted: 8,
            alreadyAcceptedContent: DocumentPipelineInputValidator.MaxTotalContentLength - 1);

        Assert.Equal("documents hold 524289 characters of content in all; at most 524288 per run", error);
    }

    [Fact]
    public void Validate_DuplicateIdWithinList_NamesSecondOccurrence()
    {
        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput(
                "run",
                [ValidDocument, new DocumentInput("d2", "T", "x"), new DocumentInput("d1", "T", "y")]));

        Assert.Equal("'documents[2].id' repeats 'documents[0].id'", error);
    }

    [Fact]
    public void Validate_IdsDifferOnlyInCase_ReturnsNull()
    {
        // Ids are compared ordinally: "D1" and "d1" are different documents.
        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput("run", [ValidDocument, new DocumentInput("D1", "T", "x")]));

        Assert.Null(error);
    }

    [Fact]
    public void ValidateDocuments_IdAlreadyInRun_IsDuplicate()
    {
        var existing = new HashSet<string>(StringComparer.Ordinal) { "d1" };

        var error = DocumentPipelineInputValidator.ValidateDocuments(
            [new DocumentInput("d9", "T", "x"), ValidDocument], existing, alreadyAccepted: 1);

        Assert.Equal("'documents[1].id' is already in the run", error);
    }

    [Fact]
    public void ValidateDocuments_Empty_RequiresOne()
    {
        Assert.Equal(
            "at least one document is required", DocumentPipelineInputValidator.ValidateDocuments([], null, 0));
        Assert.Equal(
            "at least one document is required", DocumentPipelineInputValidator.ValidateDocuments(null, null, 0));
    }

    [Fact]
    public void Validate_MoreThanMaxDocuments_NamesLimitAndCount()
    {
        var documents = Enumerable.Range(0, DocumentPipelineInputValidator.MaxDocuments + 1)
            .Select(i => new DocumentInput($"d{i}", null, "x"))
            .ToList();

        var error = DocumentPipelineInputValidator.Validate(new DocumentPipelineInput("run", documents));

        Assert.Equal("at most 1000 documents per run (1001 given)", error);
    }

    [Fact]
    public void ValidateDocuments_AlreadyAcceptedPlusAddedExceedsMax_CountsBoth()
    {
        var error = DocumentPipelineInputValidator.ValidateDocuments(
            [ValidDocument, new DocumentInput("d2", null, "x")], existingIds: null, alreadyAccepted: 999);

        Assert.Equal("at most 1000 documents per run (1001 given)", error);
    }

    [Fact]
    public void ValidateDocuments_ExactlyMaxDocuments_ReturnsNull()
    {
        var error = DocumentPipelineInputValidator.ValidateDocuments(
            [ValidDocument], existingIds: null, alreadyAccepted: 999);

        Assert.Null(error);
    }

    [Fact]
    public void Validate_ValidInput_ReturnsNull()
    {
        var input = new DocumentPipelineInput(
            "invoices-2026-11",
            [ValidDocument, new DocumentInput("d2", null, string.Empty)],
            BatchSize: 5,
            ReviewWindowSeconds: 0,
            PublishDelayMs: 60_000);

        Assert.Null(DocumentPipelineInputValidator.Validate(input));
    }

    [Theory]
    [InlineData(128, 500, null)]
    [InlineData(129, 1, "'documents[0].id' is 129 characters; at most 128 allowed")]
    [InlineData(1, 501, "'documents[0].title' is 501 characters; at most 500 allowed")]
    public void Validate_IdAndTitleLength_BoundedNamingTheField(int idLength, int titleLength, string? expected)
    {
        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput(
                "run",
                [new DocumentInput(new string('i', idLength), new string('t', titleLength), "x")]));

        Assert.Equal(expected, error);
    }

    [Fact]
    public void Validate_DuplicateLongId_NamedByPositionWithoutTheValue()
    {
        var id = new string('x', 128);

        var error = DocumentPipelineInputValidator.Validate(
            new DocumentPipelineInput("run", [new DocumentInput(id, "T", "a"), new DocumentInput(id, "T", "b")]));

        Assert.Equal("'documents[1].id' repeats 'documents[0].id'", error);
    }

    [Fact]
    public void Validate_CjkContentOverTheByteBudget_RefusedInBytes()
    {
        // 350,000 CJK characters are within the character limits but take 1,050,000 bytes as UTF-8.
        var documents = Enumerable.Range(0, 7)
            .Select(i => new DocumentInput($"d{i}", "T", new string('文', 50_000)))
            .ToArray();

        var error = DocumentPipelineInputValidator.Validate(new DocumentPipelineInput("run", documents));

        Assert.StartsWith("documents take 10", error, StringComparison.Ordinal);
        Assert.Contains("bytes as JSON; at most 1048576 per run", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateDocuments_BytesAlreadyInTheRun_CountTowardsTheBudget()
    {
        var error = DocumentPipelineInputValidator.ValidateDocuments(
            [ValidDocument],
            null,
            alreadyAccepted: 1,
            alreadyAcceptedBytes: DocumentPipelineInputValidator.MaxDocumentsBytes);

        Assert.NotNull(error);
        Assert.StartsWith("documents take ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "alice", null, null)]
    [InlineData(null, "alice", null, "'approved' is required: true to publish, false to reject")]
    [InlineData(false, null, 2000, null)]
    [InlineData(false, "bob", 2001, "'comment' is 2001 characters; at most 2000 allowed")]
    public void ValidateReview_Decisions_ApprovedRequiredReviewerAndCommentBounded(
        bool? approved, string? reviewer, int? commentLength, string? expected)
    {
        var comment = commentLength is { } length ? new string('c', length) : null;

        Assert.Equal(
            expected, DocumentPipelineInputValidator.ValidateReview(new ReviewDecision(approved, reviewer, comment)));
    }

    [Fact]
    public void ValidateReview_ReviewerTooLong_NamesTheField()
    {
        var error = DocumentPipelineInputValidator.ValidateReview(new ReviewDecision(true, new string('r', 201)));

        Assert.Equal("'reviewer' is 201 characters; at most 200 allowed", error);
    }
}
