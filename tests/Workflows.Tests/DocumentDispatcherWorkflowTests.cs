using Watchtower.Workflows.Dispatcher;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.Workflows.Tests;

public sealed class DocumentDispatcherWorkflowTests
{
    private const string RequestIdRule = "'requestId' is required: 1-100 letters, digits, '.', '_' or '-'";

    private static readonly DocumentPipelineInput ValidPipeline = new("run", [new DocumentInput("d1", "T", "text")]);

    [Fact]
    public void ValidateRequest_Null_RequiresRequest()
    {
        Assert.Equal("request is required", DocumentDispatcherWorkflow.ValidateRequest(null));
    }

    [Fact]
    public void ValidateRequest_DecodeError_ReturnsItUnchanged()
    {
        // The decode error wins even over otherwise valid fields: they are not trustworthy.
        var request = new DispatchRequest("r1", ValidPipeline) { DecodeError = "'pipeline' has the wrong type" };

        Assert.Equal("'pipeline' has the wrong type", DocumentDispatcherWorkflow.ValidateRequest(request));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("has space")]
    [InlineData("slash/not-allowed")]
    public void ValidateRequest_BadRequestId_ExplainsRule(string? requestId)
    {
        Assert.Equal(
            RequestIdRule, DocumentDispatcherWorkflow.ValidateRequest(new DispatchRequest(requestId, ValidPipeline)));
    }

    [Fact]
    public void ValidateRequest_RequestIdOf101Characters_ExplainsRule()
    {
        var request = new DispatchRequest(new string('a', 101), ValidPipeline);

        Assert.Equal(RequestIdRule, DocumentDispatcherWorkflow.ValidateRequest(request));
    }

    [Fact]
    public void ValidateRequest_RequestIdOf100Characters_ReturnsNull()
    {
        var request = new DispatchRequest(new string('a', 100), ValidPipeline);

        Assert.Null(DocumentDispatcherWorkflow.ValidateRequest(request));
    }

    [Fact]
    public void ValidateRequest_InvalidPipeline_PrefixesPipelineField()
    {
        var request = new DispatchRequest("r1", ValidPipeline with { BatchSize = 0 });

        Assert.Equal(
            "'pipeline': 'batchSize' must be between 1 and 100 (got 0)",
            DocumentDispatcherWorkflow.ValidateRequest(request));
    }

    [Fact]
    public void ValidateRequest_MissingPipeline_PrefixesPipelineField()
    {
        var error = DocumentDispatcherWorkflow.ValidateRequest(new DispatchRequest("r1", null));

        Assert.NotNull(error);
        Assert.StartsWith("'pipeline': input is required", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateRequest_Valid_ReturnsNull()
    {
        Assert.Null(DocumentDispatcherWorkflow.ValidateRequest(new DispatchRequest("Req_1.a-b", ValidPipeline)));
    }

    [Theory]
    [InlineData(null, 10, "'heartbeatTaskQueue' is required: 1-200 characters")]
    [InlineData("", 10, "'heartbeatTaskQueue' is required: 1-200 characters")]
    [InlineData("q", null, "'heartbeatIntervalSeconds' must be between 1 and 600")]
    [InlineData("q", 0, "'heartbeatIntervalSeconds' must be between 1 and 600")]
    [InlineData("q", 601, "'heartbeatIntervalSeconds' must be between 1 and 600")]
    public void ValidateAttachment_Invalid_SaysWhichField(string? taskQueue, int? interval, string expected)
    {
        Assert.Equal(
            expected, DocumentDispatcherWorkflow.ValidateAttachment(new DispatcherAttachment(taskQueue, interval)));
    }

    [Fact]
    public void ValidateAttachment_MissingOrUndecodable_SaysSo()
    {
        Assert.Equal("attachment is required", DocumentDispatcherWorkflow.ValidateAttachment(null));
        Assert.Equal("'heartbeatIntervalSeconds' has the wrong type", DocumentDispatcherWorkflow.ValidateAttachment(
            new DispatcherAttachment(null, null) { DecodeError = "'heartbeatIntervalSeconds' has the wrong type" }));
    }

    [Fact]
    public void ValidateAttachment_Valid_ReturnsNull()
    {
        Assert.Null(DocumentDispatcherWorkflow.ValidateAttachment(new DispatcherAttachment(new string('q', 200), 600)));
    }
}
