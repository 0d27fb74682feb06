using System.Net;
using System.Net.Sockets;

namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A collector on the bad day: it accepts every connection and never answers, as a hung process or a
/// black-holing proxy would. Connections are held open until it is disposed.
/// </summary>
internal sealed class SilentCollector : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> held = [];
    private readonly CancellationTokenSource stop = new();
    private int connections;

    public SilentCollector()
    {
        listener.Start(backlog: 128);
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        _ = AcceptAsync();
    }

    public string Endpoint { get; }

    public int Connections => Volatile.Read(ref connections);

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        lock (held)
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var socket = await listener.AcceptSocketAsync(stop.Token);
                Interlocked.Increment(ref connections);
                lock (held)
                {
                    held.Add(socket);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }
}
