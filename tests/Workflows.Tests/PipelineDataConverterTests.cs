using System.Text.Json;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;
using Watchtower.Workflows.Dispatcher;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.Workflows.Tests;

public sealed class PipelineDataConverterTests
{
    private static IPayloadConverter Converter => PipelineDataConverter.Instance.PayloadConverter;

    [Fact]
    public void ToPayload_PipelineInput_UsesCamelCaseJson()
    {
        var input = new DocumentPipelineInput("run", [new DocumentInput("d1", "Title", "text")], BatchSize: 3);

        var payload = Converter.ToPayload(input);

        Assert.Equal("json/plain", payload.Metadata["encoding"].ToStringUtf8());
        using var json = JsonDocument.Parse(payload.Data.ToStringUtf8());
        var root = json.RootElement;
        Assert.Equal("run", root.GetProperty("name").GetString());
        Assert.Equal(3, root.GetProperty("batchSize").GetInt32());
        Assert.Equal("d1", root.GetProperty("documents")[0].GetProperty("id").GetString());

        // DecodeError is transport-only state and must never be written to history.
        Assert.False(root.TryGetProperty("decodeError", out _));
        Assert.False(root.TryGetProperty("DecodeError", out _));
    }

    [Fact]
    public void ToValue_PipelineInputRoundTrip_KeepsEveryField()
    {
        var input = new DocumentPipelineInput("run", [new DocumentInput("d1", "Title", "text")], 3, 60, 250);

        var decoded = Assert.IsType<DocumentPipelineInput>(
            Converter.ToValue(Converter.ToPayload(input), typeof(DocumentPipelineInput)));

        Assert.Equal("run", decoded.Name);
        Assert.Equal(input.Documents, decoded.Documents);
        Assert.Equal(3, decoded.BatchSize);
        Assert.Equal(60, decoded.ReviewWindowSeconds);
        Assert.Equal(250, decoded.PublishDelayMs);
        Assert.Null(decoded.DecodeError);
    }

    [Fact]
    public void ToPayload_Enum_IsCamelCaseString()
    {
        var progress = new PipelineProgress(PipelineStage.AwaitingReview, 2, 1, 1, null, null);

        using var json = JsonDocument.Parse(Converter.ToPayload(progress).Data.ToStringUtf8());

        Assert.Equal("awaitingReview", json.RootElement.GetProperty("stage").GetString());
    }

    [Fact]
    public void ToValue_CamelCaseEnumString_ReadsEnum()
    {
        var progress = Decode<PipelineProgress>(
            """{"stage":"publishing","documentsTotal":4,"documentsAnalyzed":4,"batchesCompleted":"""
                + """2,"reviewDeadline":null,"approvedBy":"ann"}""");

        Assert.Equal(new PipelineProgress(PipelineStage.Publishing, 4, 4, 2, null, "ann"), progress);
    }

    [Fact]
    public void ToValue_HandTypedCliJson_ReadsPipelineInput()
    {
        // What someone types into `temporal workflow start --input`: camelCase, a number as a string.
        var input = Decode<DocumentPipelineInput>(
            """{"name":"x","documents":[{"id":"d1","content":"c"}],"batchSize":"7"}""");

        Assert.Null(input.DecodeError);
        Assert.Equal("x", input.Name);
        Assert.Equal(7, input.BatchSize);
        Assert.Equal([new DocumentInput("d1", null, "c")], input.Documents);
    }

    [Fact]
    public void ToValue_PipelineInputFieldWrongType_ReturnsInstanceWithDecodeError()
    {
        var input = Decode<DocumentPipelineInput>("""{"name":"x","documents":[],"batchSize":"five"}""");

        Assert.Equal("'batchSize' has the wrong type", input.DecodeError);
        Assert.Null(input.Name);
        Assert.Null(input.Documents);
    }

    [Fact]
    public void ToValue_PipelineInputRootWrongType_NamesTheInput()
    {
        var input = Decode<DocumentPipelineInput>("[1,2]");

        Assert.Equal("the input has the wrong type", input.DecodeError);
    }

    [Fact]
    public void ToValue_ReviewDecisionWrongType_ReturnsInstanceWithDecodeError()
    {
        var review = Decode<ReviewDecision>("""{"approved":"yes","reviewer":"ann"}""");

        Assert.Equal("'approved' has the wrong type", review.DecodeError);
        Assert.Null(review.Reviewer);
    }

    [Fact]
    public void ToValue_DispatchRequestWrongType_ReturnsInstanceWithDecodeError()
    {
        var request = Decode<DispatchRequest>("""{"requestId":42,"pipeline":null}""");

        Assert.Equal("'requestId' has the wrong type", request.DecodeError);
    }

    [Fact]
    public void ToValue_DispatchRequestNestedWrongType_NamesNestedPath()
    {
        // The nested pipeline input is read by the serializer, not the payload converter, so the
        // whole request carries the error with the full path.
        var request = Decode<DispatchRequest>(
            """{"requestId":"r1","pipeline":{"name":"x","documents":[],"batchSize":"five"}}""");

        Assert.Equal("'pipeline.batchSize' has the wrong type", request.DecodeError);
        Assert.Null(request.RequestId);
        Assert.Null(request.Pipeline);
    }

    [Fact]
    public void ToValue_DispatcherInputWrongType_ReturnsInstanceWithDecodeError()
    {
        var input = Decode<DispatcherInput>("""{"maxHistoryEvents":true}""");

        Assert.Equal("'maxHistoryEvents' has the wrong type", input.DecodeError);
    }

    [Fact]
    public void ToValue_TypeNotWorkflowInput_StillThrows()
    {
        var payload = JsonPayload("""{"batchNumber":"one","documents":[]}""");

        Assert.Throws<JsonException>(() => Converter.ToValue(payload, typeof(DocumentBatchResult)));
    }

    [Theory]
    [InlineData("文書の内容", 15)]
    [InlineData("<a href='x'>&+</a>", 18)]
    [InlineData("line\nbreak", 11)]
    public void ToPayload_Text_WrittenAsUtf8NotEscaped(string content, int contentBytes)
    {
        var payload = Converter.ToPayload(new DocumentInput("d", "t", content));

        // {"id":"d","title":"t","content":"..."}: 35 bytes around the content.
        Assert.Equal(35 + contentBytes, payload.Data.Length);
        Assert.Equal(payload.Data.Length, PipelineDataConverter.EncodedBytes(new DocumentInput("d", "t", content)));
    }

    [Theory]
    [InlineData("binary/plain", "the input has encoding 'binary/plain'; send JSON (encoding json/plain)")]
    [InlineData("json/protobuf", "the input has encoding 'json/protobuf'; send JSON (encoding json/plain)")]
    [InlineData(null, "the input has no encoding metadata; send JSON (encoding json/plain)")]
    public void ToValue_PayloadNotJson_ReturnsInstanceWithReadableDecodeError(string? encoding, string expected)
    {
        var payload = new Payload { Data = ByteString.CopyFromUtf8("""{"name":"x"}""") };
        if (encoding is not null)
        {
            payload.Metadata["encoding"] = ByteString.CopyFromUtf8(encoding);
        }

        var input = Assert.IsType<DocumentPipelineInput>(Converter.ToValue(payload, typeof(DocumentPipelineInput)));

        Assert.Equal(expected, input.DecodeError);
    }

    [Fact]
    public void ToValue_BytesThatAreNotUtf8_ReturnsInstanceWithDecodeError()
    {
        var payload = new Payload
        {
            Metadata = { ["encoding"] = ByteString.CopyFromUtf8("json/plain") },
            Data = ByteString.CopyFrom(0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D),
        };

        var input = Assert.IsType<ReviewDecision>(Converter.ToValue(payload, typeof(ReviewDecision)));

        Assert.StartsWith("the input ", input.DecodeError, StringComparison.Ordinal);
    }

    private static T Decode<T>(string json) => Assert.IsType<T>(Converter.ToValue(JsonPayload(json), typeof(T)));

    private static Payload JsonPayload(string json) =>
        new()
        {
            Metadata = { ["encoding"] = ByteString.CopyFromUtf8("json/plain") },
            Data = ByteString.CopyFromUtf8(json),
        };
}
