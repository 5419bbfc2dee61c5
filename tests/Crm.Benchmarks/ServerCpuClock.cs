using System.Globalization;
using Crm.Testing.PostgreSql;

namespace Crm.Benchmarks;

/// <summary>
/// CPU time a local PostgreSQL server spent during a section: its postmaster, every child process alive (backends,
/// WAL writer, checkpointer) and the children that ended meanwhile, read from Linux's <c>/proc</c>. Zero where
/// <c>/proc</c> is missing.
/// </summary>
internal sealed class ServerCpuClock
{
    // Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every common architecture.
    private const double TicksPerSecond = 100;

    private readonly int _postmaster;
    private readonly long _start;

    private ServerCpuClock(int postmaster)
    {
        _postmaster = postmaster;
        _start = Ticks();
    }

    public static ServerCpuClock Start(LocalPostgreSqlServer server)
    {
        // The first line of postmaster.pid is the server's process id.
        var pidFile = Path.Combine(server.DataDirectory, "postmaster.pid");
        var pid = File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture, out var p) ? p : 0;
        return new ServerCpuClock(pid);
    }

    public TimeSpan Elapsed() => TimeSpan.FromSeconds((Ticks() - _start) / TicksPerSecond);

    private long Ticks()
    {
        if (_postmaster == 0 || !Directory.Exists("/proc"))
        {
            return 0;
        }

        // A child that ended moved its time into the postmaster's children's time (cutime, cstime).
        var total = 0L;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) || Stat(pid) is not { } fields)
            {
                continue;
            }

            if (pid == _postmaster)
            {
                total += fields[11] + fields[12] + fields[13] + fields[14];
            }
            else if (fields[1] == _postmaster)
            {
                total += fields[11] + fields[12];
            }
        }

        return total;
    }

    /// <summary>The numeric fields of /proc/{pid}/stat after the command name (state is 0), or null if the process is gone.</summary>
    private static long[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Take(15).Select(f => long.TryParse(f, CultureInfo.InvariantCulture, out var n) ? n : 0).ToArray();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
