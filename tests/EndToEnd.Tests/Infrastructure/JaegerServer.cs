using System.Diagnostics;
using System.Text.Json;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real Jaeger v2 on free loopback ports: OTLP in (gRPC and HTTP), traces out through its query API,
/// OTLP metrics out through its Prometheus exporter. Its own telemetry is off, so nothing else binds.
/// </summary>
internal sealed class JaegerServer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly ExternalProcess process;
    private readonly string config;

    private JaegerServer(ExternalProcess process, string config, int grpc, int query, int prometheus)
    {
        this.process = process;
        this.config = config;
        OtlpGrpcEndpoint = $"http://127.0.0.1:{grpc}";
        QueryUrl = $"http://127.0.0.1:{query}";
        MetricsUrl = new Uri($"http://127.0.0.1:{prometheus}/metrics");
    }

    public string OtlpGrpcEndpoint { get; }

    public string QueryUrl { get; }

    public Uri MetricsUrl { get; }

    /// <summary>Starts Jaeger; <paramref name="grpcPort"/> chooses where OTLP over gRPC comes in.</summary>
    public static async Task<JaegerServer> StartAsync(int? grpcPort = null)
    {
        var path = TestTools.Require(TestTools.Jaeger, "Jaeger");
        var (grpc, http, query, prometheus) =
            (grpcPort ?? TestTools.FreePort(), TestTools.FreePort(), TestTools.FreePort(), TestTools.FreePort());
        var config = Path.Combine(Path.GetTempPath(), $"watchtower-jaeger-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(
            config,
            Config(grpc, http, query, prometheus),
            TestContext.Current.CancellationToken);
        var server = new JaegerServer(
            ExternalProcess.Start(path, ["--config", config]),
            config,
            grpc,
            query,
            prometheus);
        try
        {
            await Eventually.UntilAsync(
                async () => !server.process.HasExited
                    && await TestTools.AnswersAsync(new Uri(server.QueryUrl + "/api/services")),
                up => up,
                "Jaeger's query API to answer");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Worker settings that export spans here over OTLP/gRPC under <paramref name="service"/>, batched every 200 ms
    /// so that a test waits for its spans in seconds.
    /// </summary>
    public Dictionary<string, string?> ExportSettings(string service) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = OtlpGrpcEndpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        ["OTEL_SERVICE_NAME"] = service,
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
    };

    /// <summary>One trace by id, or null while Jaeger does not have it.</summary>
    public async Task<JaegerTrace?> TraceAsync(ActivityTraceId traceId) =>
        await GetTracesAsync($"/api/traces/{traceId.ToHexString()}") is [var trace, ..] ? trace : null;

    /// <summary>The latest traces of a service.</summary>
    public Task<IReadOnlyList<JaegerTrace>> TracesAsync(string service) =>
        GetTracesAsync($"/api/traces?service={Uri.EscapeDataString(service)}&limit=50");

    /// <summary>The latest traces of a service as Jaeger returns them: every tag, event and status, unparsed.</summary>
    public Task<string> RawTracesAsync(string service) =>
        Http.GetStringAsync(
            new Uri($"{QueryUrl}/api/traces?service={Uri.EscapeDataString(service)}&limit=200"),
            TestContext.Current.CancellationToken);

    public Task<string> MetricsAsync() => Http.GetStringAsync(MetricsUrl, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await process.DisposeAsync();
        File.Delete(config);
    }

    private async Task<IReadOnlyList<JaegerTrace>> GetTracesAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri(QueryUrl + path), TestContext.Current.CancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return [];
        }

        using var json = JsonDocument.Parse(
            await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        if (json.RootElement.GetProperty("data") is not { ValueKind: JsonValueKind.Array } data)
        {
            return [];
        }

        return [.. data.EnumerateArray().Select(Read)];
    }

    private static JaegerTrace Read(JsonElement trace)
    {
        var processes = trace.GetProperty("processes");
        return new JaegerTrace([.. trace.GetProperty("spans").EnumerateArray().Select(s => new JaegerSpan(
            s.GetProperty("operationName").GetString()!,
            s.GetProperty("spanID").GetString()!,
            s.GetProperty("references").EnumerateArray()
                .Where(r => r.GetProperty("refType").GetString() == "CHILD_OF")
                .Select(r => r.GetProperty("spanID").GetString())
                .FirstOrDefault(),
            processes.GetProperty(s.GetProperty("processID").GetString()!).GetProperty("serviceName").GetString()!)
        {
            TraceId = s.GetProperty("traceID").GetString()!,
            Links = [.. s.GetProperty("references").EnumerateArray()
                .Where(r => r.GetProperty("refType").GetString() == "FOLLOWS_FROM")
                .Select(r => (r.GetProperty("traceID").GetString()!, r.GetProperty("spanID").GetString()!))],
            Tags = s.GetProperty("tags").EnumerateArray().ToDictionary(
                t => t.GetProperty("key").GetString()!,
                t => t.GetProperty("value").ToString()),
        })]);
    }

    private static string Config(int grpc, int http, int query, int prometheus) => $$"""
        service:
          extensions: [jaeger_storage, jaeger_query]
          telemetry:
            metrics:
              level: none
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [jaeger_storage_exporter]
            metrics:
              receivers: [otlp]
              exporters: [prometheus]
        extensions:
          jaeger_query:
            storage:
              traces: mem
            http:
              endpoint: 127.0.0.1:{{query}}
            grpc:
              endpoint: 127.0.0.1:{{TestTools.FreePort()}}
          jaeger_storage:
            backends:
              mem:
                memory:
                  max_traces: 10000
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:{{grpc}}
              http:
                endpoint: 127.0.0.1:{{http}}
        exporters:
          jaeger_storage_exporter:
            trace_storage: mem
          prometheus:
            endpoint: 127.0.0.1:{{prometheus}}
        """;
}

internal sealed record JaegerSpan(string Name, string SpanId, string? ParentId, string Service)
{
    public string TraceId { get; init; } = "";

    /// <summary>Gets the spans this one links to (Jaeger's FOLLOWS_FROM references): trace and span ids.</summary>
    public IReadOnlyList<(string TraceId, string SpanId)> Links { get; init; } = [];

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

internal sealed record JaegerTrace(IReadOnlyList<JaegerSpan> Spans);
