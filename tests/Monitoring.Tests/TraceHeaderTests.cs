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

    [Theory]
    [InlineData(33, 1)]
    [InlineData(1, 513)]
    public void TraceHeader_TraceStateOverTheW3CLimits_LeftOutAndTheTraceKept(int members, int length)
    {
        var traceState = TraceState(members, length);

        Assert.True(TraceHeader.TryParse(Json(WithFields("tracestate", traceState)), out var remote));

        Assert.Equal(TraceParentTraceId, remote.Context.TraceId.ToHexString());
        Assert.Null(remote.Context.TraceState);
        Assert.Equal(TraceContextParts.TraceState, remote.Dropped);
    }

    [Fact]
    public void TraceHeader_TraceStateAtTheW3CLimits_Kept()
    {
        var traceState = TraceState(32, 512);

        Assert.True(TraceHeader.TryParse(Json(WithFields("tracestate", traceState)), out var remote));

        Assert.Equal(traceState, remote.Context.TraceState);
        Assert.Equal(TraceContextParts.None, remote.Dropped);
    }

    [Theory]
    [InlineData(181, 0)]
    [InlineData(1, 8193)]
    [InlineData(1, -4097)] // 4,097 two-byte characters: 8,196 bytes in 4,099 characters
    [InlineData(1000, 0)]
    public void TraceHeader_BaggageOverTheW3CLimits_LeftOutAndTheTraceKept(int entries, int valueLength)
    {
        var baggage = Baggage(entries, valueLength);

        Assert.True(TraceHeader.TryParse(Json(WithFields("baggage", baggage)), out var remote));

        Assert.Equal(TraceParentTraceId, remote.Context.TraceId.ToHexString());
        Assert.Null(remote.Baggage);
        Assert.Equal(TraceContextParts.Baggage, remote.Dropped);
    }

    [Fact]
    public void TraceHeader_BaggageAtTheW3CLimits_Kept()
    {
        var many = Baggage(180, 0);
        var large = Baggage(1, 8190);

        Assert.True(TraceHeader.TryParse(Json(WithFields("baggage", many)), out var manyParsed));
        Assert.True(TraceHeader.TryParse(Json(WithFields("baggage", large)), out var largeParsed));

        Assert.Equal(many, manyParsed.Baggage);
        Assert.Equal(8192, largeParsed.Baggage!.Length);
        Assert.Equal(TraceContextParts.None, manyParsed.Dropped | largeParsed.Dropped);
    }

    [Fact]
    public void TraceHeader_LargerThan16KiB_NotReadAtAll()
    {
        Assert.False(TraceHeader.TryParse(Json(WithFields("unknown", new string('x', 16 * 1024))), out _));
        Assert.False(TraceHeader.TryParse(Json(WithFields("baggage", Baggage(5000, 0))), out _));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(5000)]
    public void TraceHeader_DeeplyNestedUnknownField_RejectedWithoutThrowing(int depth)
    {
        var json = """{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01","x":"""
            + new string('[', depth) + new string(']', depth) + "}";

        Assert.False(TraceHeader.TryParse(Json(json), out _));
    }

    [Fact]
    public void TraceHeader_WithLimits_LeavesOutWhatALocalContextBreaksTheLimitsWith()
    {
        var context = new ActivityContext(
            ActivityTraceId.CreateFromString(TraceParentTraceId),
            ActivitySpanId.CreateFromString("696ee1deb8e3a1be"),
            ActivityTraceFlags.Recorded,
            TraceState(40, 1));

        var headers = TraceHeader.WithLimits(null, TraceHeader.DefaultKey, context, Baggage(200, 0), out var dropped);

        Assert.Equal(TraceContextParts.TraceState | TraceContextParts.Baggage, dropped);
        Assert.Equal(
            """{"traceparent":"00-4db0b151cd02017588934c100ef88896-696ee1deb8e3a1be-01"}""",
            headers[TraceHeader.DefaultKey].Data.ToStringUtf8());
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

    private const string TraceParentTraceId = "4db0b151cd02017588934c100ef88896";

    private static string WithFields(string field, string value) =>
        $$"""{"traceparent":"00-{{TraceParentTraceId}}-696ee1deb8e3a1be-01","{{field}}":"""
            + JsonSerializer.Serialize(value, RawUtf8) + "}";

    // As the Go and TypeScript SDKs write it: text outside ASCII as UTF-8, not as \u escapes.
    private static readonly JsonSerializerOptions RawUtf8 =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A tracestate of <paramref name="members"/> members, padded to at least <paramref name="length"/>.
    /// </summary>
    private static string TraceState(int members, int length)
    {
        var list = string.Join(',', Enumerable.Range(0, members).Select(i => $"v{i}=1"));
        return list.Length >= length ? list : list + new string('0', length - list.Length);
    }

    /// <summary>
    /// Baggage of <paramref name="entries"/> entries, the first with a value of <paramref name="valueLength"/>
    /// characters (negative: that many two-byte characters).
    /// </summary>
    private static string Baggage(int entries, int valueLength)
    {
        var value = valueLength >= 0 ? new string('x', valueLength) : new string('é', -valueLength);
        return string.Join(',', Enumerable.Range(0, entries).Select(i => i == 0 ? $"k={value}" : $"k{i}=v"));
    }
}
