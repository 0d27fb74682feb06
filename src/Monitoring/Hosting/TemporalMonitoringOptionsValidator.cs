using Microsoft.Extensions.Options;

namespace Watchtower.Monitoring.Hosting;

/// <summary>Rejects settings the scrape endpoint cannot serve, naming the setting and the value.</summary>
internal sealed class TemporalMonitoringOptionsValidator : IValidateOptions<TemporalMonitoringOptions>
{
    public ValidateOptionsResult Validate(string? name, TemporalMonitoringOptions options)
    {
        var failures = new List<string>(options.SettingErrors);
        const string Section = TemporalMonitoringOptions.SectionName;
        if (options.Port is < 1 or > 65535)
        {
            failures.Add($"{Section}:Port (MONITORING_PORT) must be between 1 and 65535; got {options.Port}.");
        }

        if (string.IsNullOrWhiteSpace(options.Host)
            || options.Host.Contains('/', StringComparison.Ordinal)
            || options.Host.Contains(' ', StringComparison.Ordinal))
        {
            failures.Add(
                $"{Section}:Host (MONITORING_HOST) must be a host name, an address or '*'; got '{options.Host}'.");
        }

        if (!IsPath(options.Path))
        {
            failures.Add($"{Section}:Path (MONITORING_PATH) must be a path such as /metrics; got '{options.Path}'.");
        }

        if (options.SdkDashboardPath is { Length: > 0 } sdkPath
            && (!IsPath(sdkPath)
                || string.Equals(sdkPath.TrimEnd('/'), options.Path.TrimEnd('/'), StringComparison.Ordinal)
                || sdkPath.StartsWith("/health", StringComparison.Ordinal)))
        {
            failures.Add(
                $"{Section}:SdkDashboardPath must be a path of its own such as /metrics/temporal-core, apart from "
                + $"{Section}:Path and /health; got '{options.SdkDashboardPath}'.");
        }

        if (options.TraceLinkTemplate is { Length: > 0 } template
            && (!template.Contains("{traceId}", StringComparison.Ordinal)
                || !Uri.TryCreate(
                    template.Replace("{traceId}", "0", StringComparison.Ordinal), UriKind.Absolute, out var link)
                || link.Scheme is not ("http" or "https")))
        {
            failures.Add(
                $"{Section}:TraceLinkTemplate must be an http or https address with {{traceId}} in it, such as "
                + $"http://localhost:16686/trace/{{traceId}}; got '{template}'.");
        }

        if (options.TaskQueueBacklogInterval != TimeSpan.Zero
            && (options.TaskQueueBacklogInterval < TimeSpan.FromSeconds(1)
                || options.TaskQueueBacklogInterval > TimeSpan.FromHours(1)))
        {
            failures.Add(
                $"{Section}:TaskQueueBacklogInterval must be 0 (off) or between 00:00:01 and 01:00:00; "
                + $"got {options.TaskQueueBacklogInterval}.");
        }

        if (options.MaxSeriesPerMetric is < 10 or > 100_000)
        {
            failures.Add(
                $"{Section}:MaxSeriesPerMetric must be between 10 and 100000; got {options.MaxSeriesPerMetric}.");
        }

        if (options.SpanSearchAttributes.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add($"{Section}:SpanSearchAttributes must name search attributes; one is empty.");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceName))
        {
            failures.Add($"{Section}:ServiceName must not be empty.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsPath(string? path) =>
        path is { Length: >= 2 } && path[0] == '/'
        && !path.Contains('?', StringComparison.Ordinal) && !path.Contains(' ', StringComparison.Ordinal);
}
