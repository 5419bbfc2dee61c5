namespace Crm.Cli.Targets;

/// <summary>Where a command runs: <c>--url</c>/<c>--key</c> (or <c>CRM_URL</c>/<c>CRM_KEY</c>) for a server, <c>--data</c> for a data directory.</summary>
internal sealed record TargetSettings(string? Url, string? Key, string? DataPath, string Tenant)
{
    /// <summary>Opens the target the settings name; a data directory a server holds is refused.</summary>
    public async Task<ICrmTarget> OpenAsync(CancellationToken cancellationToken)
    {
        if (DataPath is not null)
        {
            var path = Path.GetFullPath(DataPath);
            DataDirectoryGuard.EnsureNotHeld(path);
            return await EmbeddedTarget.StartAsync(path, Tenant, cancellationToken);
        }

        if (Url is null)
        {
            throw new TargetModeException("Say where to work: --url <server> with --key <api key> (or CRM_URL and CRM_KEY), or --data <directory> for a data directory no server runs on.");
        }

        if (!Uri.TryCreate(Url.EndsWith('/') ? Url : Url + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new TargetModeException($"--url '{Url}' is not an http or https address, e.g. http://localhost:5080.");
        }

        if (string.IsNullOrWhiteSpace(Key)) throw new TargetModeException("--url needs an API key: --key <key> or CRM_KEY.");
        return await RemoteTarget.ConnectAsync(uri, Key, cancellationToken);
    }
}

/// <summary>Tells whether a process (a server, another command) holds a data directory, before the CLI opens it.</summary>
internal static class DataDirectoryGuard
{
    /// <summary>The engine's lock file in a data directory.</summary>
    public const string LockFileName = "crm.lock";

    /// <summary>Throws <see cref="DataDirectoryHeldException"/> naming the directory when its lock file is held.</summary>
    public static void EnsureNotHeld(string path)
    {
        if (IsHeld(path)) throw new DataDirectoryHeldException(path);
    }

    /// <summary>True when another owner holds the directory's lock file now.</summary>
    public static bool IsHeld(string path)
    {
        var lockFile = Path.Combine(path, LockFileName);
        if (!File.Exists(lockFile)) return false;
        try
        {
            // The same exclusive open the engine takes; released at once, the engine then takes it for real.
            using var probe = new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }
}

/// <summary>A server (or another command) holds the data directory: the CLI must go through that server instead.</summary>
internal sealed class DataDirectoryHeldException(string path)
    : Exception($"The data directory '{path}' is in use by a running server or another command (lock file {DataDirectoryGuard.LockFileName}). " +
                "Use that server instead: --url <server address> --key <api key> (or CRM_URL and CRM_KEY), or stop it first.")
{
    public string DataPath { get; } = path;
}
