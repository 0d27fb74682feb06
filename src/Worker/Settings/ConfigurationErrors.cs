using Microsoft.Extensions.Options;

namespace Watchtower.Worker.Settings;

/// <summary>
/// Start-up failures that are a setting's fault: said in one line that names the setting, with no stack
/// trace (the trace would point at the host, not at the value to fix), and a non-zero exit code.
/// </summary>
internal static class ConfigurationErrors
{
    /// <summary>The exit code of a run stopped by a bad setting: EX_CONFIG from sysexits.h.</summary>
    public const int ExitCode = 78;

    private const string Marker = "Watchtower.ConfigurationError";

    /// <summary>Marks an exception whose message names the setting to fix.</summary>
    /// <typeparam name="TException">The exception type.</typeparam>
    /// <param name="exception">The exception.</param>
    /// <returns>The same exception.</returns>
    public static TException Mark<TException>(TException exception)
        where TException : Exception
    {
        exception.Data[Marker] = true;
        return exception;
    }

    /// <summary>The one-line message for a configuration error, or null when the exception is something else.</summary>
    /// <param name="exception">What start-up threw.</param>
    /// <returns>The line to print, or null.</returns>
    public static string? Describe(Exception exception) => exception switch
    {
        OptionsValidationException invalid => string.Join(" ", invalid.Failures),
        AggregateException aggregate when aggregate.InnerExceptions.Count > 0
            && aggregate.InnerExceptions.All(e => Describe(e) is not null) =>
            string.Join(" ", aggregate.InnerExceptions.Select(e => Describe(e))),

        // The configuration binder: "Failed to convert configuration value 'x' at 'Temporal:Port' to type ...".
        InvalidOperationException binder
            when binder.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
            binder.Message,
        _ when exception.Data.Contains(Marker) => exception.Message,
        _ => null,
    };
}
