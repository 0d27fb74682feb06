using Watchtower.LoadRunner;

return args.Contains(MeasuredWorker.ServeFlag)
    ? await MeasuredWorker.ServeAsync(args)
    : await LoadRun.MainAsync(args);
