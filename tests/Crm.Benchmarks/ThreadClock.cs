namespace Crm.Benchmarks;

/// <summary>
/// Where one thread spent a section's wall time, read from Linux's per-thread scheduler figures
/// (<c>/proc/self/task/*/schedstat</c>): running on a core, ready but waiting for a core (starved by other threads
/// of the process or the machine), or neither (blocked: fsync, or nothing to do).
/// </summary>
internal sealed class ThreadClock
{
    // The OS thread name is the managed name cut to 15 characters ("Crm SQLite writer").
    private const string ThreadName = "Crm SQLite writ";

    private readonly string? _task;
    private readonly (long Running, long Waiting) _start;

    private readonly string _who;

    private ThreadClock(string? task, string who)
    {
        _task = task;
        _who = who;
        _start = Read(task);
    }

    /// <summary>Starts measuring the calling thread.</summary>
    public static ThreadClock CurrentThread() => new(ThreadSelf(), "thread");

    /// <summary>Starts measuring the writer thread of the only open store; measures nothing where /proc is missing.</summary>
    public static ThreadClock StoreWriter()
    {
        string? task = null;
        try
        {
            task = Directory.EnumerateDirectories("/proc/self/task")
                .LastOrDefault(t => File.ReadAllText(Path.Combine(t, "comm")).Trim() == ThreadName);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return new ThreadClock(task, "writer thread");
    }

    /// <summary>
    /// CPU time the calling thread has run, in nanoseconds: unlike a stopwatch it does not count time spent waiting
    /// for a core, so a step timed with it reads the same on a busy machine. Falls back to wall time without /proc.
    /// </summary>
    public static long CurrentThreadCpuNanoseconds()
    {
        try
        {
            var text = File.ReadAllText("/proc/thread-self/schedstat");
            return long.Parse(text.AsSpan(0, text.IndexOf(' ')), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return (long)System.Diagnostics.Stopwatch.GetElapsedTime(0).TotalNanoseconds;
        }
    }

    private static string? ThreadSelf()
    {
        // /proc/thread-self links to /proc/<pid>/task/<tid> of the calling thread.
        var link = new DirectoryInfo("/proc/thread-self");
        try
        {
            return link.Exists ? link.ResolveLinkTarget(returnFinalTarget: true)?.FullName : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>"writer on CPU 62%, waiting for a core 21%, blocked 17%" over <paramref name="elapsed"/>.</summary>
    public string Describe(TimeSpan elapsed)
    {
        if (_task is null)
        {
            return _who + " figures unavailable";
        }

        var (running, waiting) = Read(_task);
        var wall = elapsed.TotalNanoseconds;
        var onCpu = (running - _start.Running) / wall;
        var ready = (waiting - _start.Waiting) / wall;
        return $"{_who} on CPU {onCpu:P0}, waiting for a core {ready:P0}, blocked {Math.Max(0, 1 - onCpu - ready):P0}";
    }

    private static (long Running, long Waiting) Read(string? task)
    {
        if (task is null)
        {
            return (0, 0);
        }

        try
        {
            var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
            return (long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }
}
