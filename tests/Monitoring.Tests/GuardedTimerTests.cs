using Microsoft.Extensions.Time.Testing;
using Watchtower.Monitoring.Hosting.Monitors;

namespace Watchtower.Monitoring.Tests;

public sealed class GuardedTimerTests
{
    [Fact]
    public void GuardedTimer_TickAndItsStepDownBothThrow_NothingEscapesAndTicksStop()
    {
        var time = new FakeTimeProvider();
        var ticks = 0;
        var failures = 0;
        using var timer = new GuardedTimer(
            time,
            TimeSpan.FromSeconds(1),
            () =>
            {
                ticks++;
                throw new IOException("/proc unreadable");
            },
            _ =>
            {
                failures++;
                throw new ObjectDisposedException("the log sink");
            });

        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, ticks);
        Assert.Equal(1, failures);
    }

    [Fact]
    public void GuardedTimer_TicksThatSucceed_RunEveryPeriod()
    {
        var time = new FakeTimeProvider();
        var ticks = 0;
        using var timer = new GuardedTimer(time, TimeSpan.FromSeconds(1), () => ticks++, _ => { });

        time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(3, ticks);
    }
}
