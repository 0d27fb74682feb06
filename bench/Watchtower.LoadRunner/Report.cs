using System.Globalization;

namespace Watchtower.LoadRunner;

/// <summary>The tables the README's figures come from.</summary>
internal static class Report
{
    public static void Pairs(Mode a, Mode b, List<(Result A, Result B)> pairs)
    {
        Console.WriteLine();
        Console.WriteLine($"| per workflow | {a.Name} (median) | {b.Name} (median) | {b.Name} / {a.Name}: median "
            + "of pair ratios | spread of pair ratios (min to max) |");
        Console.WriteLine("|---|---:|---:|---:|---|");
        Row("worker CPU (ms)", pairs, r => r.CpuMs, "F2");
        Row("allocated (KB)", pairs, r => r.Kb, "F1");
        Row("time from start to result, median (ms)", pairs, r => r.LatencyMs, "F0");
        Difference("resident memory after the run, collected (MB)", pairs, r => r.ResidentMb);
        Difference("managed heap after the run, collected (MB)", pairs, r => r.HeapMb);
    }

    public static void Scrapes(Scrapes idle, Scrapes loaded)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"/metrics: {idle.Series} series, {idle.Bytes / 1024.0:F0} KB"));
        Console.WriteLine("| scrape | count | p50 (ms) | p99 (ms) | max (ms) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, scrapes) in new[] { ("idle, back to back", idle), ("every 100 ms under load", loaded) })
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {name} | {scrapes.Milliseconds.Count} ({scrapes.Failed} failed) | {scrapes.Percentile(0.5):F2} | "
                + $"{scrapes.Percentile(0.99):F2} | {scrapes.Milliseconds.Max():F2} |"));
        }
    }

    private static void Row(string name, List<(Result A, Result B)> pairs, Func<Result, double> value, string format)
    {
        var ratios = pairs.Select(p => value(p.B) / value(p.A)).Order().ToList();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {name} | {Median(pairs.Select(p => value(p.A))).ToString(format, CultureInfo.InvariantCulture)} | "
            + $"{Median(pairs.Select(p => value(p.B))).ToString(format, CultureInfo.InvariantCulture)} | "
            + $"{Median(ratios):F3} | {ratios[0]:F3} to {ratios[^1]:F3} |"));
    }

    private static void Difference(string name, List<(Result A, Result B)> pairs, Func<Result, double> value)
    {
        var differences = pairs.Select(p => value(p.B) - value(p.A)).Order().ToList();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {name} | {Median(pairs.Select(p => value(p.A))):F1} | {Median(pairs.Select(p => value(p.B))):F1} | "
            + $"{Median(differences):+0.0;-0.0} MB | {differences[0]:+0.0;-0.0} to {differences[^1]:+0.0;-0.0} MB |"));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1
            ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
