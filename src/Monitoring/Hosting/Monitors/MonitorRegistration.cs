using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Watchtower.Monitoring.Hosting.Monitors;

/// <summary>
/// Registers a monitor that starts with the host from its own settings section: settings that cannot
/// be bound or checked, or anything its start throws, give its no-op stand-in instead, one warning, and
/// a 0 on <c>watchtower_monitoring_status</c>; the worker goes on.
/// </summary>
internal static class MonitorRegistration
{
    public static void Add<TMonitor, TOptions>(
        IServiceCollection services,
        string name,
        string section,
        Action<TOptions> check,
        Func<IServiceProvider, TOptions, TimeProvider, TMonitor> start,
        Func<Exception, TMonitor> fallback)
        where TMonitor : class
        where TOptions : class
    {
        services.AddOptions<TOptions>()
            .Configure<IConfiguration>((o, configuration) => configuration.GetSection(section).Bind(o));
        services.TryAddSingleton(sp => sp.GetRequiredService<MonitoringStatus>().Start(
            name,
            () =>
            {
                var options = sp.GetRequiredService<IOptions<TOptions>>().Value;
                check(options);
                return start(sp, options, sp.GetService<TimeProvider>() ?? TimeProvider.System);
            },
            fallback));
        services.AddHostedService<MonitorStartupService<TMonitor>>();
    }
}
