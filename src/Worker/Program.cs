using Microsoft.Extensions.Hosting;

// Content root at the binary, so appsettings.json is found whatever directory `dotnet run` starts in.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
builder.AddDocumentPipelineWorker();
return await builder.Build().RunWithConfigurationErrorsReportedAsync();
