using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Watchtower.Monitoring.Tracing;
using Watchtower.Tests.Vectors;

namespace Watchtower.Monitoring.Tests;

public sealed class TraceHeaderTests
{
    public static TheoryData<string, string> VectorHeaders()
    {
        var data = new TheoryData<string, string>();
        foreach (var sdk in new[] { "go", "typescript" })
        {
            foreach (var file in new[] { "history.json", "child-history.json" })
            {
                var index = 0;
                foreach (var payload in Headers(Path.Combine(TracerDataPayloads.Directory, sdk, file)))
                {
                    data.Add($"{sdk}/{file}#{index++}", Convert.ToBase64String(payload.ToByteArray()));
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(VectorHeaders))]
    public void TraceHeader_HeaderWrittenByGoOrTypeScript_ParsesAndIsWrittenBackByteForByte(
        string where,
        string payloadBase64)
    {
        var theirs = Payload.Parser.ParseFrom(Convert.FromBase64String(payloadBase64));

        Assert.True(TraceHeader.TryParse(theirs, out var remote), where);
        var ours = TraceHeader.Create(remote.Context, remote.Baggage);

        Assert.Equal(theirs.Metadata.Keys, ours.Metadata.Keys);
        Assert.Equal(theirs.Metadata["encoding"], ours.Metadata["encoding"]);
        Assert.Equal(theirs.Data.ToStringUtf8(), ours.Data.ToStringUtf8());
        Assert.Equal(theirs, ours);
        Assert.True(remote.Context.IsRemote);
    }

    [Theory]
    [InlineData("00")]
    [InlineData("01")]
    [InlineData("03")]
    [InlineData("ff")]
    public void TraceHeader_AnyValidTraceFlags_Accepted(string flags)
    {
        var payload = Json($$"""{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-{{flags}}"}""");

        Assert.True(TraceHeader.TryParse(payload, out var remote));
        Assert.Equal(Convert.ToInt32(flags, 16), (int)remote.Context.TraceFlags);
        Assert.Equal("4db0b151cd02017588934c100ef88896", remote.Context.TraceId.ToHexString());
        Assert.Equal("696ee1deb8e3a1be", remote.Context.SpanId.ToHexString());
        Assert.Equal(payload.Data, TraceHeader.Create(remote.Context, null).Data);
    }

    [Fact]
    public void TraceHeader_TraceStateAndBaggage_KeptAndWrittenInTheOtherSdksOrder()
    {
        var payload = Json(
            """{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01","tracestate":"vendor=a+b,"""
            + """other=c","baggage":"tenant=acme,region=eu%2Dwest"}""");

        Assert.True(TraceHeader.TryParse(payload, out var remote));
        Assert.Equal("vendor=a+b,other=c", remote.Context.TraceState);
        Assert.Equal("tenant=acme,region=eu%2Dwest", remote.Baggage);
        Assert.Equal(
            payload.Data.ToStringUtf8(),
            TraceHeader.Create(remote.Context, remote.Baggage).Data.ToStringUtf8());
    }

    [Fact]
    public void TraceHeader_LaterVersionWithMoreFields_Accepted()
    {
        Assert.True(TraceHeader.TryParse(
            Json("""{"traceparent":"01-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01-future"}"""),
            out _));
    }

    [Theory]
    [InlineData("""{"traceparent":"00-4DB0B151CD02017588934C100EF88896-696ee1deb8e3a1be-01"}""")]
    [InlineData("""{"traceparent":"00-00000000000000000000000000000000-696ee1deb8e3a1be-01"}""")]
    [InlineData("""{"traceparent":"00-4db0b151cd02017588934c100ef88896-0000000000000000-01"}""")]
    [InlineData("""{"traceparent":"ff-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01"}""")]
    [InlineData("""{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01-extra"}""")]
    [InlineData("""{"traceparent":"00-4db0b151cd02017588934c100ef8889-696ee1deb8e3a1be-01"}""")]
    [InlineData("""{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-0g"}""")]
    [InlineData("""{"traceparent":"00-not-a-trace-01"}""")]
    [InlineData("""{"traceparent":1}""")]
    [InlineData("""{"traceparent":"00\u002d4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01"}""")]
    [InlineData("""{"tracestate":"a=b"}""")]
    [InlineData("""["00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01"]""")]
    [InlineData("""{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01" """)]
    [InlineData("""{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01","tracestate":"\ud800"}""")]
    [InlineData("""{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01","baggage":"\udc00x"}""")]
    [InlineData("not json at all")]
    [InlineData("")]
    public void TraceHeader_MalformedPayload_Rejected(string json)
    {
        Assert.False(TraceHeader.TryParse(Json(json), out _));
    }

    [Fact]
    public void TraceHeader_InvalidUtf8InAField_Rejected()
    {
        var payload = Json("{}");
        var bytes = "{\"traceparent\":\"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01\",\"tracestate\":\"a="u8
            .ToArray()
            .Concat(new byte[] { 0xC3, 0x28 }).Concat("\"}"u8.ToArray()).ToArray();
        payload.Data = ByteString.CopyFrom(bytes);

        Assert.False(TraceHeader.TryParse(payload, out _));
    }

    [Fact]
    public void TraceHeader_NotJsonPlain_Rejected()
    {
        var payload = Json("""{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01"}""");
        payload.Metadata["encoding"] = ByteString.CopyFromUtf8("binary/protobuf");

        Assert.False(TraceHeader.TryParse(payload, out _));
        var headers = new Dictionary<string, Payload> { [TraceHeader.DefaultKey] = payload }.AsReadOnly();
        Assert.Equal(TraceHeaderStatus.Malformed, TraceHeader.TryRead(headers, TraceHeader.DefaultKey, out _));
        Assert.Equal(TraceHeaderStatus.Absent, TraceHeader.TryRead(null, TraceHeader.DefaultKey, out _));
        var others = new Dictionary<string, Payload> { ["other"] = payload }.AsReadOnly();
        Assert.Equal(TraceHeaderStatus.Absent, TraceHeader.TryRead(others, TraceHeader.DefaultKey, out _));
    }

    [Fact]
    public void TraceHeader_With_CopiesOtherHeadersAndLeavesTheOriginalAlone()
    {
        var other = Json("{}");
        var original = new Dictionary<string, Payload> { ["other"] = other };
        var context = new ActivityContext(
            ActivityTraceId.CreateRandom(),
            ActivitySpanId.CreateRandom(),
            ActivityTraceFlags.Recorded);

        var result = TraceHeader.With(original, TraceHeader.DefaultKey, context, null);

        Assert.Single(original);
        Assert.Same(other, result["other"]);
        Assert.True(TraceHeader.TryParse(result[TraceHeader.DefaultKey], out var remote));
        Assert.Equal(context.TraceId, remote.Context.TraceId);
        Assert.Equal(context.SpanId, remote.Context.SpanId);
    }

    private static Payload Json(string json) => new()
    {
        Metadata = { ["encoding"] = ByteString.CopyFromUtf8("json/plain") },
        Data = ByteString.CopyFromUtf8(json),
    };

    private static List<Payload> Headers(string historyFile)
    {
        using var history = JsonDocument.Parse(File.ReadAllText(historyFile));
        return TracerDataPayloads.In(history.RootElement);
    }
}
