
namespace Watchtower.Worker.DevServer;

/// <summary>Finds the Temporal CLI: explicit setting, then PATH, then the repository's <c>.tools/bin</c>.</summary>
internal static class TemporalCliLocator
{
    /// <summary>Returns the CLI path, or null to let the SDK download the dev server.</summary>
    /// <param name="configured">The <c>TEMPORAL_CLI_PATH</c> / <c>Temporal:DevServer:CliPath</c> value.</param>
    /// <param name="pathVariable">The PATH variable.</param>
    /// <param name="searchRoots">Folders whose ancestors may hold <c>.tools/bin</c>.</param>
    /// <returns>
    /// The configured path as given (the options validator checks it exists), else a found file, or null.
    /// </returns>
    public static string? Locate(string? configured, string? pathVariable, IEnumerable<string> searchRoots)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        var exe = OperatingSystem.IsWindows() ? "temporal.exe" : "temporal";
        foreach (var dir in (pathVariable ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var root in searchRoots)
        {
            for (var dir = new DirectoryInfo(root); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ".tools", "bin", exe);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
