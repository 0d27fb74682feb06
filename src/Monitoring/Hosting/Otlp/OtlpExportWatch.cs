using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Hosting.Otlp;

/// <summary>
/// Sees every OTLP export request through the exporters' HTTP client, so a dead or silent collector shows:
/// counted on <c>watchtower.otlp.exports</c> by signal and outcome, warned about at most once a minute, and
/// shown as degraded on the <c>otlp</c> monitor status and in readiness until an export gets through.
/// </summary>
internal sealed class OtlpExportWatch(MonitoringStatus status, ILogger<OtlpExportWatch> logger, string endpoint)
{
    public const string MonitorName = "otlp";

    private static readonly TimeSpan WarningPeriod = TimeSpan.FromMinutes(1);

    private static readonly Counter<long> Exports = HostingTelemetry.Meter.CreateCounter<long>(
        "watchtower.otlp.exports",
        "{request}",
        "OTLP export requests, by signal (traces, metrics) and outcome (success, failure). The spans or points of "
            + "a failed request are lost once the exporter's retries give up.");

    private long failures;
    private long nextWarning = long.MinValue;

    // One bit per signal: traces and metrics fail and recover on their own (a collector may take one and not
    // the other), and the status is degraded while either fails.
    private int failing;
    private int warned;

    /// <summary>
    /// A client for the exporter of one signal. The exporter applies its timeout (<c>OTEL_EXPORTER_OTLP_TIMEOUT</c>)
    /// and its response size limit only to a client it makes itself, so both are set here: a collector that
    /// never answers would otherwise hold every export until shutdown, and one that answers without end could
    /// fill the memory.
    /// </summary>
    public HttpClient CreateClient(string signal, TimeSpan timeout, int maxResponseBytes) =>
        new(new ObservedHandler(this, signal) { InnerHandler = new SocketsHttpHandler() }, disposeHandler: true)
        {
            Timeout = timeout,
            MaxResponseContentBufferSize = maxResponseBytes,
        };

    internal void Succeeded(string signal)
    {
        Count(signal, "success");
        var bit = Bit(signal);
        var before = Clear(ref failing, bit);
        if ((before & bit) == 0)
        {
            return;
        }

        if (before == bit)
        {
            status.Ready(MonitorName);
        }

        // Said only after a warning about this signal, so the lines pair up and stay as rare as the warnings.
        if ((Clear(ref warned, bit) & bit) != 0)
        {
            Log.OtlpExportRecovered(logger, signal, endpoint);
        }
    }

    internal void Failed(string signal, string reason)
    {
        Count(signal, "failure");
        var total = Interlocked.Increment(ref failures);
        var bit = Bit(signal);
        if (Interlocked.Or(ref failing, bit) == 0)
        {
            status.Report(MonitorName, new HttpRequestException($"export of {signal} failed: {reason}"), warn: false);
        }

        var now = Environment.TickCount64;
        var next = Interlocked.Read(ref nextWarning);
        if (now >= next
            && Interlocked.CompareExchange(ref nextWarning, now + (long)WarningPeriod.TotalMilliseconds, next) == next)
        {
            Interlocked.Or(ref warned, bit);
            Log.OtlpExportFailing(logger, signal, endpoint, reason, total);
        }
    }

    private static int Bit(string signal) => signal switch
    {
        "traces" => 1,
        "metrics" => 2,
        _ => 4,
    };

    private static int Clear(ref int bits, int bit) => Interlocked.And(ref bits, ~bit);

    private static void Count(string signal, string outcome)
    {
        try
        {
            Exports.Add(1, new("signal", signal), new("outcome", outcome));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A listener that throws costs the count, never the export.
        }
    }

    /// <summary>
    /// Why a request failed, in words that carry no payload and no credential: the kind of error, the HTTP
    /// status or the gRPC status code, never a message that could quote the request.
    /// </summary>
    internal static string Reason(Exception exception) => exception switch
    {
        OperationCanceledException => "no answer in time",
        HttpRequestException { HttpRequestError: var error } => error.ToString(),
        _ => exception.GetType().Name,
    };

    /// <summary>
    /// The gRPC exporter sends with <c>SendAsync</c>, the HTTP/protobuf one with <c>Send</c>; both are watched.
    /// A gRPC error arrives as HTTP 200 with a non-zero <c>grpc-status</c> header (a trailers-only answer, as
    /// collectors give errors); a status sent in trailers after a body would be read only by the exporter.
    /// </summary>
    private sealed class ObservedHandler(OtlpExportWatch watch, string signal) : DelegatingHandler
    {
        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            try
            {
                return Observe(base.Send(request, cancellationToken));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                watch.Failed(signal, Reason(e));
                throw;
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(
            HttpRequestMessage request,
            CancellationToken cancellationToken)
        {
            try
            {
                return Observe(await base.SendAsync(request, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                watch.Failed(signal, Reason(e));
                throw;
            }
        }

        private HttpResponseMessage Observe(HttpResponseMessage response)
        {
            if (!response.IsSuccessStatusCode)
            {
                watch.Failed(signal, $"HTTP {(int)response.StatusCode}");
            }
            else if (response.Headers.TryGetValues("grpc-status", out var codes)
                && codes.FirstOrDefault() is { } code
                && code != "0")
            {
                watch.Failed(signal, "gRPC status " + code);
            }
            else
            {
                watch.Succeeded(signal);
            }

            return response;
        }
    }
}
