namespace Watchtower.Monitoring.Hosting;

/// <summary>
/// Health check tags that put a check behind one of the monitoring listener's endpoints:
/// <c>/health/ready</c> or <c>/health/startup</c>.
/// </summary>
public static class MonitoringHealthTags
{
    /// <summary>Puts a check behind <c>/health/ready</c>.</summary>
    public const string Ready = "ready";

    /// <summary>Puts a check behind <c>/health/startup</c>.</summary>
    public const string Startup = "startup";
}
