namespace Watchtower.Monitoring.Labels;

/// <summary>
/// Every label value that comes from outside the code: workflow and activity types, task queues and
/// namespaces, bounded process-wide, as the Meter is. The interceptors and the SDK metrics bridge ask
/// here before they record.
/// </summary>
internal static class MetricLabels
{
    /// <summary>
    /// A workflow or activity type the SDK reported that this process neither declares nor ran.
    /// </summary>
    public const string Unregistered = "_unregistered";

    /// <summary>A value past its label's cap.</summary>
    public const string Overflow = "_other";

    public static readonly TypeLabel WorkflowTypes = new(ranCap: 200);

    public static readonly TypeLabel ActivityTypes = new(ranCap: 200);

    // Task queues and namespaces are the workers' own, not a caller's; their caps only stop a process that
    // makes workers in a loop.
    public static readonly BoundedLabel TaskQueues = new(cap: 1000);

    public static readonly BoundedLabel Namespaces = new(cap: 100);
}
