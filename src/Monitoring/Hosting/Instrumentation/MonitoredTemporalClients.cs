using Microsoft.Extensions.Options;
using Temporalio.Client;
using Temporalio.Extensions.Hosting;
using Temporalio.Runtime;

namespace Watchtower.Monitoring.Hosting.Instrumentation;

/// <summary>
/// Puts the interceptor and the monitored runtime into the connect options of every Temporal client
/// and hosted worker the host configures, so a team's existing <c>AddTemporalClient</c> and
/// <c>AddHostedTemporalWorker</c> calls are monitored without change. A runtime chosen there is kept.
/// Each hosted worker's workflow and activity types are declared as label values.
/// </summary>
internal sealed class MonitoredTemporalClients(TemporalMonitoringInterceptor interceptor, TemporalRuntime runtime)
    : IPostConfigureOptions<TemporalClientConnectOptions>, IPostConfigureOptions<TemporalWorkerServiceOptions>
{
    public void PostConfigure(string? name, TemporalClientConnectOptions options) => Monitor(options);

    public void PostConfigure(string? name, TemporalWorkerServiceOptions options)
    {
        TemporalSdkMetrics.DeclareWorkerTypes(options);

        // Without client options the worker uses the host's client, which the other overload covers.
        if (options.ClientOptions is { } client)
        {
            Monitor(client);
        }
    }

    private void Monitor(TemporalClientConnectOptions options)
    {
        // Workers take their client's interceptors, so the client is where it goes.
        if (options.Interceptors is not { } existing || !existing.Contains(interceptor))
        {
            options.Interceptors = [.. options.Interceptors ?? [], interceptor];
        }

        options.Runtime ??= runtime;
    }
}
