using System.Text;

namespace Watchtower.Worker.ResilientWorker;

/// <summary>Builds the ready-to-paste <c>temporal workflow start</c> command printed at start-up.</summary>
internal static class StartCommand
{
    /// <summary>A small real input: two documents, a short review window.</summary>
    public const string SampleInput =
        """{"name":"invoices-november","documents":["""
        + """{"id":"inv-1001","title":"Invoice 1001","content":"Invoice 1001. Amount due: 120 EUR. """
        + """Bill to: ACME GmbH"},"""
        + """{"id":"rcpt-77","title":"Receipt 77","content":"Receipt 77: paid in full. """
        + """Thank you for your purchase"}],"batchSize":1,"reviewWindowSeconds":30}""";

    /// <summary>Builds the command.</summary>
    /// <param name="taskQueue">Task queue the worker polls.</param>
    /// <param name="address">Server address, omitted when it is the CLI's default.</param>
    /// <param name="namespace">Namespace, omitted when it is "default".</param>
    /// <returns>A shell command line.</returns>
    public static string For(string taskQueue, string? address, string @namespace)
    {
        var command = new StringBuilder("temporal workflow start --type DocumentPipeline --task-queue ")
            .Append(Quote(taskQueue));
        if (address is not null && address != "localhost:7233" && address != "127.0.0.1:7233")
        {
            command.Append(" --address ").Append(Quote(address));
        }

        if (@namespace != "default")
        {
            command.Append(" --namespace ").Append(Quote(@namespace));
        }

        return command
            .Append(" --static-summary 'Document pipeline: invoices-november'")
            .Append(" --input '").Append(SampleInput).Append('\'')
            .ToString();
    }

    private static string Quote(string value) =>
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/')
            ? value
            : $"'{value.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
