
namespace Watchtower.Workflows.Pipeline;

/// <summary>A transient index outage. Activities let it escape so Temporal retries them.</summary>
public sealed class DocumentIndexUnavailableException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="DocumentIndexUnavailableException"/> class.</summary>
    public DocumentIndexUnavailableException()
        : base("The document index is temporarily unavailable.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="DocumentIndexUnavailableException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public DocumentIndexUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="DocumentIndexUnavailableException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The underlying failure.</param>
    public DocumentIndexUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
