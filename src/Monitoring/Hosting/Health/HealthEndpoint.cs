using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Hosting.Health;

/// <summary>
/// Serves /health/live, /health/startup and /health/ready beside /metrics, on the monitoring
/// listener's host and port: JSON with each check's status, 200 when healthy or degraded, 503 when
/// not, and, when the host's interceptor records metrics, what an operator asks first: workflows in flight,
/// the last completion and the recent failure ratio. Like the scrape endpoint, a listener that cannot start
/// costs a warning, not the worker.
/// </summary>
internal sealed class HealthEndpoint(
    IOptions<TemporalMonitoringOptions> options,
    HealthCheckService checks,
    MonitoringStatus status,
    ILogger<HealthEndpoint> logger,
    TemporalMonitoringInterceptor? interceptor = null) : BackgroundService
{
    private static readonly JsonWriterOptions Json = new() { Indented = false };

    /// <summary>
    /// Serves until the host stops. Nothing in here may stop the host: a listener that cannot start (a host
    /// value it refuses, a port taken) or that breaks later costs the health endpoints and one warning.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Health)
        {
            return;
        }

        var listener = new HttpListener();
        try
        {
            try
            {
                var prefixes = Prometheus.PrometheusScrapeEndpoint.Prefixes(settings.Host, settings.Port, "/health");
                foreach (var prefix in prefixes)
                {
                    listener.Prefixes.Add(prefix);
                }

                listener.Start();
                status.Ready("health");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                status.Report("health", e);
                return;
            }

            await ServeAsync(listener, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            status.Failed("health", e);
        }
        finally
        {
            // Closing a listener whose prefix it refused throws as well.
            try
            {
                listener.Close();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.HealthRequestFailed(logger, e.GetType().Name, e.Message);
            }
        }
    }

    private async Task ServeAsync(HttpListener listener, CancellationToken stoppingToken)
    {
        await using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (HttpListenerException e)
            {
                Log.HealthRequestFailed(logger, nameof(HttpListenerException), e.Message);
                continue;
            }

            _ = RespondAsync(context, stoppingToken);
        }
    }

    private async Task RespondAsync(HttpListenerContext context, CancellationToken cancellationToken)
    {
        try
        {
            var path = context.Request.Url?.AbsolutePath.TrimEnd('/') ?? string.Empty;
            Func<HealthCheckRegistration, bool>? predicate = path switch
            {
                "/health/live" => _ => false,
                "/health/startup" => r => r.Tags.Contains(MonitoringHealthChecks.StartupTag),
                "/health/ready" => r => r.Tags.Contains(MonitoringHealthChecks.ReadyTag),
                _ => null,
            };
            if (predicate is null)
            {
                context.Response.StatusCode = 404;
                context.Response.Close();
                return;
            }

            var report = await checks.CheckHealthAsync(predicate, cancellationToken).ConfigureAwait(false);
            var body = new ArrayBufferWriter<byte>(512);
            using (var writer = new Utf8JsonWriter(body, Json))
            {
                writer.WriteStartObject();
                writer.WriteString("status", report.Status.ToString());
                writer.WriteStartObject("checks");
                foreach (var (name, entry) in report.Entries)
                {
                    writer.WriteStartObject(name);
                    writer.WriteString("status", entry.Status.ToString());
                    writer.WriteString("description", entry.Description);
                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
                WriteWorkflows(writer, interceptor?.GetWorkflowRunSummary());
                writer.WriteEndObject();
            }

            // Whole, with its length, in one write: sent in chunks, a small answer ends with two tiny writes that
            // Nagle holds for the client's delayed acknowledgement, about 40 ms a probe.
            context.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? 503 : 200;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = body.WrittenCount;

            // HttpListener sends whatever is written, HEAD or not; a body after a HEAD answer would be read as the
            // start of the next answer on that connection.
            if (!string.Equals(context.Request.HttpMethod, "HEAD", StringComparison.OrdinalIgnoreCase))
            {
                await context.Response.OutputStream.WriteAsync(body.WrittenMemory, cancellationToken)
                    .ConfigureAwait(false);
            }

            context.Response.Close();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A client that went away mid-answer is its own problem; the connection is dropped rather than left
            // open with half an answer on it.
            Log.HealthRequestFailed(logger, e.GetType().Name, e.Message);
            context.Response.Abort();
        }
    }

    private static void WriteWorkflows(Utf8JsonWriter writer, WorkflowRunSummary? runs)
    {
        if (runs is null)
        {
            return;
        }

        writer.WriteStartObject("workflows");
        writer.WriteNumber("in_flight", runs.InFlight);
        if (runs.LastCompletedAt is { } last)
        {
            writer.WriteString("last_completed_at", last.ToString("O", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull("last_completed_at");
        }

        writer.WriteNumber("recent_window_seconds", WorkflowRunSummary.RecentWindow.TotalSeconds);
        writer.WriteNumber("recent_ended", runs.RecentEnded);
        writer.WriteNumber("recent_failed", runs.RecentFailed);
        if (runs.RecentFailureRatio is { } ratio)
        {
            writer.WriteNumber("recent_failure_ratio", Math.Round(ratio, 4));
        }
        else
        {
            writer.WriteNull("recent_failure_ratio");
        }

        writer.WriteEndObject();
    }
}
