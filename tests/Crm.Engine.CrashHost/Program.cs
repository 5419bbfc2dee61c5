using Crm.Engine.CrashHost;

// A process the integration tests start and kill: it writes to a data directory under load and prints one line per
// acknowledged write, or holds the directory open until told to let go. See CrashHostArguments for the command line.
var arguments = CrashHostArguments.Parse(args);
if (arguments is null)
{
    await Console.Error.WriteLineAsync(CrashHostArguments.Usage);
    return 2;
}

using var stop = new CancellationTokenSource(arguments.MaxLifetime);
// The test keeps our stdin open; end of input means it let go of us (or died), so stop rather than linger.
_ = ParentWatch.CancelOnEndOfInputAsync(stop);

return arguments.Mode switch
{
    CrashHostMode.Engine => await EngineLoad.RunAsync(arguments, stop.Token),
    CrashHostMode.Store => await StoreLoad.RunAsync(arguments, stop.Token),
    CrashHostMode.Hold => await DirectoryHolder.RunAsync(arguments, stop.Token),
    CrashHostMode.Messages => await MessageLoad.RunAsync(arguments, stop.Token),
    CrashHostMode.Campaign => await CampaignLoad.RunAsync(arguments, stop.Token),
    _ => 2,
};
