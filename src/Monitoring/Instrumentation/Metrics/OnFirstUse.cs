namespace Watchtower.Monitoring.Metrics;

/// <summary>
/// An instrument made when first asked for: each one published reserves storage for its label sets in every meter
/// provider (about 48 KB at 500), used or not. Exactly one is made, under a lock. A creation that throws (a meter
/// listener's callback can) is tried again on a later use, at most <see cref="Tries"/> times in all: unlike
/// <see cref="Lazy{T}"/>, a listener that fails once does not cost the instrument for the life of the process, and
/// one that always fails does not leave an instrument in the Meter for every use (.NET keeps each one it made).
/// </summary>
internal sealed class OnFirstUse<T>(Func<T> create)
    where T : class
{
    public const int Tries = 3;

    private readonly Lock gate = new();
    private T? value;
    private int failures;
    private Exception? lastFailure;

    public T Value => Volatile.Read(ref value) ?? Create();

    private T Create()
    {
        lock (gate)
        {
            if (value is not null)
            {
                return value;
            }

            if (failures >= Tries)
            {
                throw new InvalidOperationException(
                    $"The instrument could not be made in {Tries} tries: {lastFailure!.Message}", lastFailure);
            }

            try
            {
                Volatile.Write(ref value, create());
                return value!;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures++;
                lastFailure = e;
                throw;
            }
        }
    }
}
