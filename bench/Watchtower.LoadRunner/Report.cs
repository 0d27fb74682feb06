using System.Globalization;

namespace Watchtower.LoadRunner;

/// <summary>The tables the README's figures come from.</summary>
internal static class Report
{
    public static void Pairs(Mode a, Mode b, List<(Result A, Result B)> pairs)
    {
        Console.WriteLine();
        var (_, _, confidence) = MedianInterval(pairs.Count);
        Console.WriteLine($"| per workflow | {a.Name} (median) | {b.Name} (median) | {b.Name} / {a.Name}: median "
            + $"of pair ratios | {confidence:P0} interval of that median | spread of pair ratios (min to max) |");
        Console.WriteLine("|---|---:|---:|---:|---|---|");
        Row("worker CPU (ms)", pairs, r => r.CpuMs, "F2");
        Row("allocated (KB)", pairs, r => r.Kb, "F1");
        Row("time from start to result, median (ms)", pairs, r => r.LatencyMs, "F0");
        Difference("resident memory after the run, collected (MB)", pairs, r => r.ResidentMb);
        Difference("managed heap after the run, collected (MB)", pairs, r => r.HeapMb);
        if (pairs.All(p => p.A.HandedBackMb >= 0 && p.B.HandedBackMb >= 0))
        {
            Difference("resident after the run, collected and handed back (MB)", pairs, r => r.HandedBackMb);
        }

        if (pairs.All(p => p.A.NativeInUseMb >= 0 && p.B.NativeInUseMb >= 0))
        {
            Difference("native heap in use after the run, collected (MB)", pairs, r => r.NativeInUseMb);
        }

        // Per span only when spans are all that differs: with metrics on one side, their cost would count too.
        var (spansA, spansB) = (Median(pairs.Select(p => p.A.Spans)), Median(pairs.Select(p => p.B.Spans)));
        var traced = pairs.Where(p => p.B.Spans > p.A.Spans).ToList();
        if (a.Metrics == b.Metrics && traced.Count > 0)
        {
            var perSpan = Median(traced.Select(p => (p.B.Kb - p.A.Kb) / (p.B.Spans - p.A.Spans)));
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"spans per workflow: {a.Name} {spansA:F1}, {b.Name} {spansB:F1}; allocated per span "
                + $"({b.Name} - {a.Name}, median of pairs): {perSpan * 1024:F0} B"));
        }
    }

    public static void Scrapes(Scrapes idle, Scrapes loaded, Scrapes idleFloor, Scrapes loadedFloor)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"/metrics: {idle.Series} series, {idle.Bytes / 1024.0:F0} KB; the floor: /health/live, "
            + $"{idleFloor.Bytes} bytes, from the same process and port, on a connection of its own"));
        Console.WriteLine("| answer | count | p50 (ms) | p99 (ms) | max (ms) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, scrapes) in new[]
        {
            ("/metrics, idle, back to back with the probe", idle),
            ("/health/live, idle, between the scrapes", idleFloor),
            ("/metrics, every 100 ms under load", loaded),
            ("/health/live, every 100 ms under load, between the scrapes", loadedFloor),
        })
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {name} | {scrapes.Milliseconds.Count} ({scrapes.Failed} failed) | {scrapes.Percentile(0.5):F2} | "
                + $"{scrapes.Percentile(0.99):F2} | {scrapes.Milliseconds.DefaultIfEmpty(double.NaN).Max():F2} |"));
        }

        // Which of them stood out, by their place in the sequence: a stall at the start is the connection's or
        // the first collection's, a stall that recurs is something periodic.
        foreach (var (name, scrapes) in new[] { ("/metrics idle", idle), ("/health/live idle", idleFloor) })
        {
            var slow = scrapes.Milliseconds.Select((ms, i) => (ms, i)).Where(s => s.ms > 20).ToList();
            if (slow.Count > 0)
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{name}: over 20 ms at {string.Join(", ", slow.Select(s => Slow(scrapes, s.i, s.ms)))}"));
            }
        }
    }

    /// <summary>A slow answer by its place, with the GC pause between the answers before and after it.</summary>
    private static string Slow(Scrapes scrapes, int i, double ms)
    {
        var pauses = scrapes.GcPauseSeconds;
        var gc = i > 0 && i + 1 < pauses.Count && !double.IsNaN(pauses[i + 1] - pauses[i - 1])
            ? string.Create(CultureInfo.InvariantCulture, $", GC paused {(pauses[i + 1] - pauses[i - 1]) * 1000:F1} ms")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"#{i + 1} ({ms:F1} ms{gc})");
    }

    private static void Row(string name, List<(Result A, Result B)> pairs, Func<Result, double> value, string format)
    {
        var ratios = pairs.Select(p => value(p.B) / value(p.A)).Order().ToList();
        var (low, high, _) = MedianInterval(ratios.Count);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {name} | {Median(pairs.Select(p => value(p.A))).ToString(format, CultureInfo.InvariantCulture)} | "
            + $"{Median(pairs.Select(p => value(p.B))).ToString(format, CultureInfo.InvariantCulture)} | "
            + $"{Median(ratios):F3} | {ratios[low]:F3} to {ratios[high]:F3} | {ratios[0]:F3} to {ratios[^1]:F3} |"));
    }

    /// <summary>
    /// The distribution-free interval for a median of <paramref name="count"/> values: the positions, in sorted
    /// order, that hold the true median between them with at least 95 % confidence (each value is above it or below
    /// it as a fair coin falls), or the widest there is for too few pairs, with its confidence.
    /// </summary>
    private static (int Low, int High, double Confidence) MedianInterval(int count)
    {
        var best = (Low: 0, High: count - 1, Confidence: 1 - (2 * Math.Pow(0.5, count)));
        for (var k = 1; k < count / 2; k++)
        {
            // P(median between the (k+1)-th smallest and the (k+1)-th largest)
            //   = 1 - 2 P(Binomial(count, 1/2) <= k).
            var tail = 0.0;
            for (var i = 0; i <= k; i++)
            {
                tail += Binomial(count, i) * Math.Pow(0.5, count);
            }

            var confidence = 1 - (2 * tail);
            if (confidence < 0.95)
            {
                break;
            }

            best = (k, count - 1 - k, confidence);
        }

        return best;
    }

    private static double Binomial(int n, int k)
    {
        var result = 1.0;
        for (var i = 1; i <= k; i++)
        {
            result = result * (n - k + i) / i;
        }

        return result;
    }

    private static void Difference(string name, List<(Result A, Result B)> pairs, Func<Result, double> value)
    {
        var differences = pairs.Select(p => value(p.B) - value(p.A)).Order().ToList();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {name} | {Median(pairs.Select(p => value(p.A))):F1} | {Median(pairs.Select(p => value(p.B))):F1} | "
            + $"{Median(differences):+0.0;-0.0;0.0} MB | | "
            + $"{differences[0]:+0.0;-0.0;0.0} to {differences[^1]:+0.0;-0.0;0.0} MB |"));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1
            ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
