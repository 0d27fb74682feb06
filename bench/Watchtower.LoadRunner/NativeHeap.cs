using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Watchtower.LoadRunner;

/// <summary>
/// The C library's heap, where the SDK's Core (Rust) allocates: glibc keeps freed memory in per-thread arenas, so
/// resident memory says more about how much it keeps than about what the worker uses.
/// </summary>
internal static partial class NativeHeap
{
    /// <summary>
    /// Hands back to the system what glibc keeps free (<c>malloc_trim</c>), then returns resident memory and the
    /// bytes glibc has in use (<c>mallinfo2</c>: chunks in use in every arena plus blocks mapped on their own); -1
    /// for what this C library cannot do or tell.
    /// </summary>
    public static (long Resident, long InUse) TrimAndMeasure()
    {
        if (!OperatingSystem.IsLinux())
        {
            return (-1, -1);
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl has no malloc_trim.
            return (-1, -1);
        }

        using var process = Process.GetCurrentProcess();
        var resident = process.WorkingSet64;
        try
        {
            var info = MallInfo2();
            return (resident, (long)(info.Uordblks + info.Hblkhd));
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.33 has no mallinfo2.
            return (resident, -1);
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallocInfo MallInfo2();

    /// <summary>glibc's <c>struct mallinfo2</c>, field for field.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct MallocInfo
    {
        public readonly nuint Arena;
        public readonly nuint Ordblks;
        public readonly nuint Smblks;
        public readonly nuint Hblks;
        public readonly nuint Hblkhd;
        public readonly nuint Usmblks;
        public readonly nuint Fsmblks;
        public readonly nuint Uordblks;
        public readonly nuint Fordblks;
        public readonly nuint Keepcost;
    }
}
