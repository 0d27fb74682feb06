namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>Asks the worker's health endpoints over real HTTP.</summary>
internal sealed class HealthProbe(int port)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public async Task<(int Status, string Body)> GetAsync(string endpoint)
    {
        using var response = await Http.GetAsync(
            new Uri($"http://127.0.0.1:{port}/health/{endpoint}"),
            TestContext.Current.CancellationToken);
        return (
            (int)response.StatusCode,
            await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public Task<(int Status, string Body)> WaitForAsync(string endpoint, int status, string what) =>
        Eventually.UntilAsync(() => GetAsync(endpoint), r => r.Status == status, what);
}
