namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>Upper bounds so that no end-to-end test can hang, e.g. on a result that never comes.</summary>
internal static class TestTimeouts
{
    /// <summary>Per test: generous for a loaded 2-core CI machine; the slowest test takes about 30 s there.</summary>
    public const int EndToEnd = 180_000;

    /// <summary>
    /// Per fault-suite scenario: its full size under <c>task soak</c> runs for minutes; each wait inside has
    /// its own, tighter timeout.
    /// </summary>
    public const int Fault = 1_200_000;
}
