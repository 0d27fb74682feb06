namespace Watchtower.Monitoring.Interception;

/// <summary>
/// Lets a second copy of an interceptor part in one chain step aside. A worker built on a client that
/// carries the interceptor gets it from the client, and gets it again when it is also in the worker's
/// own interceptors. The SDK initialises a chain synchronously from the outside in, so the outer copy
/// marks the thread while the links below it initialise, and an inner copy that sees the mark records
/// nothing. One guard per part (<typeparamref name="TPart"/>): tracing and metrics may come from
/// different copies.
/// </summary>
/// <typeparam name="TPart">The interceptor part the guard is for.</typeparam>
internal static class DuplicateInterceptorGuard<TPart>
    where TPart : class
{
    [ThreadStatic]
    private static bool outerCopyInitializing;

    /// <summary>Gets a value indicating whether an outer copy of the part is initialising the chain now.</summary>
    public static bool IsInnerCopy => outerCopyInitializing;

    /// <summary>Marks the thread while this copy initialises the links below it, when it records at all.</summary>
    /// <param name="active">Whether this copy records; a copy that does not leaves the mark as it is.</param>
    /// <returns>Restores the mark as it was when disposed.</returns>
    public static OuterCopyScope InitializingAsOuterCopy(bool active)
    {
        var previous = outerCopyInitializing;
        outerCopyInitializing |= active;
        return new OuterCopyScope(previous);
    }

    /// <summary>Puts the mark back as it was.</summary>
    /// <param name="previous">The mark before this copy set it.</param>
    public readonly struct OuterCopyScope(bool previous) : IDisposable
    {
        /// <summary>Restores the mark.</summary>
        public void Dispose() => outerCopyInitializing = previous;
    }
}
