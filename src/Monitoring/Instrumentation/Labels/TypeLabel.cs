using System.Collections.Concurrent;

namespace Watchtower.Monitoring.Labels;

/// <summary>
/// Workflow or activity type names as label values. Types a worker declares are always kept; types
/// that run here without being declared (a dynamic workflow or activity takes any name) are kept up to
/// a cap; a type the SDK reports that never ran here, such as one a client started but no worker
/// registers, reads <see cref="MetricLabels.Unregistered"/>.
/// </summary>
internal sealed class TypeLabel(int ranCap)
{
    private readonly ConcurrentDictionary<string, bool> declared = new(StringComparer.Ordinal);
    private readonly BoundedLabel ran = new(ranCap);

    public void Declare(string name) => declared.TryAdd(name, true);

    /// <summary>For a type executing on this worker, seen by the interceptors.</summary>
    public string Ran(string name) => declared.ContainsKey(name) ? name : ran.Admit(name);

    /// <summary>For a type the SDK names in its own metrics, which may never run here.</summary>
    public string Reported(string name) =>
        declared.ContainsKey(name) || ran.Contains(name) ? name : MetricLabels.Unregistered;
}
