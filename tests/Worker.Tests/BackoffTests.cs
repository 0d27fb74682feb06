using Watchtower.Worker.Connection;
using Watchtower.Worker.Settings;

namespace Watchtower.Worker.Tests;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(7, 30)]
    public void Delay_Attempt_DoublesUntilCapped(int attempt, int expectedSeconds)
    {
        var settings = new PipelineWorkerOptions.RetrySettings
        {
            InitialDelay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(30),
        };

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Backoff.Delay(settings, attempt));
    }

    [Theory]
    [InlineData(31)]
    [InlineData(100)]
    [InlineData(int.MaxValue)]
    public void Delay_HugeAttempt_StaysAtCapWithoutOverflow(int attempt)
    {
        // The largest values the options validator accepts.
        var settings = new PipelineWorkerOptions.RetrySettings
        {
            InitialDelay = TimeSpan.FromMinutes(5),
            MaxDelay = TimeSpan.FromMinutes(30),
        };

        Assert.Equal(TimeSpan.FromMinutes(30), Backoff.Delay(settings, attempt));
    }

    [Fact]
    public void Delay_SubSecondInitialDelay_KeepsMilliseconds()
    {
        var settings = new PipelineWorkerOptions.RetrySettings
        {
            InitialDelay = TimeSpan.FromMilliseconds(10),
            MaxDelay = TimeSpan.FromSeconds(1),
        };

        Assert.Equal(TimeSpan.FromMilliseconds(40), Backoff.Delay(settings, 3));
    }
}
