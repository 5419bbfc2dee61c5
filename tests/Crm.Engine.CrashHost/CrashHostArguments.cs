using System.Globalization;

namespace Crm.Engine.CrashHost;

/// <summary>What the crash host does with its data directory.</summary>
public enum CrashHostMode
{
    /// <summary>Creates and updates contacts through the full engine (grains, client), as an application does.</summary>
    Engine,

    /// <summary>Appends record events straight to the SQLite event store, many writers at once.</summary>
    Store,

    /// <summary>Starts the engine on the directory and keeps it until standard input closes.</summary>
    Hold,

    /// <summary>
    /// Queues <c>--writers</c> consented e-mails (once per directory) and sends them through a connector that appends
    /// each message id to <c>sent.log</c> in the directory; a later run on the same directory only sends.
    /// </summary>
    Messages,

    /// <summary>
    /// Sets up (once per directory) a segment of <c>--writers</c> consenting contacts and launches a campaign to them,
    /// sent through a connector that appends each message id to <c>sent.log</c>; a later run only carries on.
    /// </summary>
    Campaign,
}

/// <summary>The command line: <c>engine|store|hold|messages|campaign --data &lt;dir&gt; [--writers N] [--max-seconds N]</c>.</summary>
public sealed record CrashHostArguments(CrashHostMode Mode, string DataDirectory, int Writers, TimeSpan MaxLifetime)
{
    public const string Usage = "usage: Crm.Engine.CrashHost engine|store|hold|messages|campaign --data <dir> [--writers N] [--max-seconds N]";

    /// <summary>The arguments, or null when they do not make sense.</summary>
    public static CrashHostArguments? Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || !Enum.TryParse<CrashHostMode>(args[0], ignoreCase: true, out var mode)) return null;
        string? data = null;
        var writers = 32;
        var maxSeconds = 120;
        for (var i = 1; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--data":
                    data = args[i + 1];
                    break;
                case "--writers" when int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var w) && w > 0:
                    writers = w;
                    break;
                case "--max-seconds" when int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0:
                    maxSeconds = s;
                    break;
                default:
                    return null;
            }
        }

        return data is null ? null : new CrashHostArguments(mode, Path.GetFullPath(data), writers, TimeSpan.FromSeconds(maxSeconds));
    }

    /// <summary>The command line that produces these arguments.</summary>
    public IEnumerable<string> ToCommandLine() =>
    [
        Mode.ToString().ToLowerInvariant(),
        "--data", DataDirectory,
        "--writers", Writers.ToString(CultureInfo.InvariantCulture),
        "--max-seconds", ((int)MaxLifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture),
    ];
}
