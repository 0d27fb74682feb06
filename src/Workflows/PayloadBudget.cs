using System.Globalization;
using Temporalio.Exceptions;

namespace Watchtower.Workflows;

/// <summary>
/// The most bytes any payload these workflows send may take: a child's input, an activity's argument, a
/// continue-as-new input, a result. Well below the server's 2 MB limit, which Temporal Core enforces by
/// failing the workflow task, so that a run over it would retry that task for ever. Inputs are bounded so
/// that every payload stays within this; the check before sending is the guard that turns a bound missed
/// somewhere into a readable, non-retryable failure instead.
/// </summary>
public static class PayloadBudget
{
    /// <summary>Failure type of a run that would have sent a payload over the budget.</summary>
    public const string ErrorType = "PayloadTooLarge";

    /// <summary>The budget: 1.5 MiB of JSON.</summary>
    public const int MaxBytes = 1536 * 1024;

    /// <summary>Throws a non-retryable failure when <paramref name="value"/> would take more than the budget.</summary>
    /// <param name="value">What is about to be sent.</param>
    /// <param name="what">What it is, for the message ("the batch 3 input").</param>
    /// <returns>The value, to pass on.</returns>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <exception cref="ApplicationFailureException">The value is over the budget.</exception>
    public static T Checked<T>(T value, string what)
    {
        var bytes = PipelineDataConverter.EncodedBytes(value);
        if (bytes > MaxBytes)
        {
            throw new ApplicationFailureException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{what} would take {bytes} bytes; at most {MaxBytes} may be sent"),
                ErrorType,
                nonRetryable: true);
        }

        return value;
    }
}
