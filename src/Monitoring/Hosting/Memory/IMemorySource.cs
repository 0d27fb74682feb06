namespace Watchtower.Monitoring.Hosting.Memory;

/// <summary>Where memory readings come from: the runtime, or a test.</summary>
internal interface IMemorySource
{
    MemorySample Read();
}
