using Watchtower.LoadRunner;

return await LoadRun.MainAsync(args);
