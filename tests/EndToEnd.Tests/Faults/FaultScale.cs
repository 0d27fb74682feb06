using System.Globalization;

namespace Watchtower.EndToEnd.Tests.Faults;

/// <summary>
/// How large each scenario runs: short in CI, full under <c>task soak</c> (<c>WATCHTOWER_SOAK=1</c>), which
/// also writes every figure to the file named by <c>WATCHTOWER_FIGURES</c>.
/// </summary>
internal static class FaultScale
{
    public static bool Soak => Environment.GetEnvironmentVariable("WATCHTOWER_SOAK") == "1";

    public static int Pick(int ci, int soak) => Soak ? soak : ci;

    /// <summary>Says a measured figure in the test's output and, under <c>task soak</c>, in the figures file.</summary>
    public static void Figure(string scenario, string text)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"| {scenario} | {text} |");
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("WATCHTOWER_FIGURES") is { Length: > 0 } path)
        {
            lock (typeof(FaultScale))
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }
}
