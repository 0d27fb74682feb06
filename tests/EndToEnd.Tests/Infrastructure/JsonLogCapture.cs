using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Watchtower.Monitoring.Hosting.Logging;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Writes every log entry through the worker's own <c>json-trace</c> console formatter, with the
/// scopes the SDK opens, into memory: the exact lines the console would show, one test's worth.
/// </summary>
internal sealed class JsonLogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly TraceJsonConsoleFormatter formatter = new(new FixedOptions());
    private readonly List<string> lines = [];
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    /// <summary>Gets the captured lines, parsed.</summary>
    /// <returns>One JSON element per line.</returns>
    public IReadOnlyList<JsonElement> Lines()
    {
        lock (lines)
        {
            return [.. lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        }
    }

    public void Dispose() => formatter.Dispose();

    private sealed class Logger(JsonLogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            using var writer = new StringWriter();
            owner.formatter.Write(
                new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter),
                owner.scopes,
                writer);
            var line = writer.ToString().Trim();
            if (line.Length > 0)
            {
                lock (owner.lines)
                {
                    owner.lines.Add(line);
                }
            }
        }
    }

    private sealed class FixedOptions : IOptionsMonitor<ConsoleFormatterOptions>
    {
        public ConsoleFormatterOptions CurrentValue { get; } = new() { IncludeScopes = true, UseUtcTimestamp = true };

        public ConsoleFormatterOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<ConsoleFormatterOptions, string?> listener) => null;
    }
}
