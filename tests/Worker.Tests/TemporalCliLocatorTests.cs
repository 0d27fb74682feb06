using Watchtower.Worker.DevServer;

namespace Watchtower.Worker.Tests;

public sealed class TemporalCliLocatorTests : IDisposable
{
    private static readonly string Exe = OperatingSystem.IsWindows() ? "temporal.exe" : "temporal";

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Locate_Configured_WinsOverPathAndToolsAsFullPath()
    {
        var onPath = temp.CreateDirectory("path-bin");
        temp.WriteFile(Path.Combine("path-bin", Exe), "cli");
        temp.WriteFile(Path.Combine(".tools", "bin", Exe), "cli");
        var configured = Path.Combine(temp.Path, "custom", ".", "my-temporal");

        var found = TemporalCliLocator.Locate(configured, onPath, [temp.Path]);

        Assert.Equal(Path.Combine(temp.Path, "custom", "my-temporal"), found);
    }

    [Fact]
    public void Locate_ExecutableOnPath_IsFound()
    {
        var empty = temp.CreateDirectory("empty-bin");
        var onPath = temp.CreateDirectory("path-bin");
        var cli = temp.WriteFile(Path.Combine("path-bin", Exe), "cli");
        var pathVariable = string.Join(Path.PathSeparator, empty, onPath);

        var found = TemporalCliLocator.Locate(null, pathVariable, [temp.CreateDirectory("elsewhere")]);

        Assert.Equal(cli, found);
    }

    [Fact]
    public void Locate_ToolsBinInAncestor_IsFoundWalkingUp()
    {
        var cli = temp.WriteFile(Path.Combine(".tools", "bin", Exe), "cli");
        var nested = temp.CreateDirectory(Path.Combine("src", "Worker", "bin", "Debug"));

        var found = TemporalCliLocator.Locate("  ", temp.CreateDirectory("empty-bin"), [nested]);

        Assert.Equal(cli, found);
    }

    [Fact]
    public void Locate_PathBeforeTools_PathWins()
    {
        var onPath = temp.CreateDirectory("path-bin");
        var pathCli = temp.WriteFile(Path.Combine("path-bin", Exe), "cli");
        temp.WriteFile(Path.Combine(".tools", "bin", Exe), "cli");

        var found = TemporalCliLocator.Locate(null, onPath, [temp.Path]);

        Assert.Equal(pathCli, found);
    }

    [Fact]
    public void Locate_NothingAnywhere_ReturnsNull()
    {
        var nested = temp.CreateDirectory(Path.Combine("a", "b"));

        // A folder named like the CLI is not the CLI.
        temp.CreateDirectory(Path.Combine("path-bin", Exe));

        var found = TemporalCliLocator.Locate(null, Path.Combine(temp.Path, "path-bin"), [nested]);

        Assert.Null(found);
    }

    [Fact]
    public void Locate_NullPathVariable_FallsBackToTools()
    {
        var cli = temp.WriteFile(Path.Combine(".tools", "bin", Exe), "cli");

        Assert.Equal(cli, TemporalCliLocator.Locate(null, null, [temp.Path]));
    }
}
