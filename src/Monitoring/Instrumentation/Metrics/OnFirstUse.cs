namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// An instrument made when first asked for: each one published reserves storage for its label sets in every meter
/// provider (about 48 KB at 500), used or not. Exactly one is made, under a lock; unlike <see cref="Lazy{T}"/>, a
/// creation that throws (a meter listener's callback can) is not remembered, so the next use tries again rather
/// than failing for the life of the process.
/// </summary>
internal sealed class OnFirstUse<T>(Func<T> create)
    where T : class
{
    private readonly Lock gate = new();
    private T? value;

    public T Value => Volatile.Read(ref value) ?? Create();

    private T Create()
    {
        lock (gate)
        {
            if (value is null)
            {
                Volatile.Write(ref value, create());
            }

            return value;
        }
    }
}
