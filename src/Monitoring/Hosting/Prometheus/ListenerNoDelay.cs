using System.Collections;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Watchtower.Monitoring.Hosting.Prometheus;

/// <summary>
/// Lets HttpListener's answers on a port leave without waiting for the client's acknowledgement: TCP_NODELAY on
/// the sockets it listens with, which on Linux the connections they accept inherit.
/// </summary>
/// <remarks>
/// The managed HttpListener (Linux, macOS) sends a large answer in writes of 64 KB with Nagle's algorithm on. The
/// last, partial segment then waits for the client to acknowledge the small one before it, and a client that delays
/// its acknowledgement (40 ms or more on Linux) holds the whole scrape that long: on an idle worker about
/// one /metrics answer of 165 KB in a hundred took 41 to 45 ms instead of half a millisecond. HttpListener has no
/// setting for it, so the sockets are reached through the runtime's private fields; where those are not found (a
/// runtime that changed them, trimming) nothing changes but the pace of large answers. Windows' HttpListener is
/// http.sys, which has no such socket; it is not called there.
/// </remarks>
internal static class ListenerNoDelay
{
    /// <summary>
    /// Turns Nagle's algorithm off on HttpListener's listening sockets for <paramref name="port"/>; null when done,
    /// else why not. Connections established before keep what they had.
    /// </summary>
    public static string? Apply(int port)
    {
        try
        {
            return TryApply(port);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A runtime that changed what these fields hold must not stop the host: the scrape still answers.
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    private static string? TryApply(int port)
    {
        const BindingFlags Private = BindingFlags.NonPublic;
        var assembly = typeof(HttpListener).Assembly;
        var endpoints = assembly.GetType("System.Net.HttpEndPointManager")
            ?.GetField("s_ipEndPoints", Private | BindingFlags.Static)?.GetValue(null) as IDictionary;
        var socketField = assembly.GetType("System.Net.HttpEndPointListener")
            ?.GetField("_socket", Private | BindingFlags.Instance);
        if (endpoints is null || socketField is null)
        {
            return "this runtime's HttpListener does not keep its sockets where they were looked for";
        }

        var applied = 0;

        // The lock HttpListener itself takes while it adds and removes endpoints (and closes their sockets).
        lock (endpoints.SyncRoot)
        {
            foreach (var byPort in endpoints.Values)
            {
                if (byPort is IDictionary ports && ports[port] is { } listener
                    && socketField.GetValue(listener) is Socket socket)
                {
                    socket.NoDelay = true;
                    applied++;
                }
            }
        }

        return applied > 0 ? null : $"HttpListener has no socket listening on port {port}";
    }
}
