using Temporalio.Api.Enums.V1;
using Temporalio.Exceptions;
using Watchtower.Monitoring.Interception;

namespace Watchtower.Monitoring.Tests;

public sealed class RunOutcomeTests
{
    [Fact]
    public void IsBenignFailure_BenignApplicationFailure_True() =>
        Assert.True(RunOutcome.IsBenignFailure(Benign()));

    [Fact]
    public void IsBenignFailure_RealFailureNamingABenignCause_False()
    {
        var failure = new ApplicationFailureException("order failed", Benign(), "OrderFailed");

        Assert.False(RunOutcome.IsBenignFailure(failure));
    }

    [Fact]
    public void IsBenignFailure_OtherExceptionWrappingABenignOne_False() =>
        Assert.False(RunOutcome.IsBenignFailure(new InvalidOperationException("boom", Benign())));

    [Fact]
    public void IsBenignFailure_PlainFailure_False() =>
        Assert.False(RunOutcome.IsBenignFailure(new ApplicationFailureException("no", "Refused")));

    private static ApplicationFailureException Benign() =>
        new("nothing yet", "NotReady", nonRetryable: true, category: ApplicationErrorCategory.Benign);
}
