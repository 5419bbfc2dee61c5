using System.Globalization;

namespace Crm.Benchmarks;

/// <summary>CPU time from <c>/proc</c>: the whole machine's and one process's, in seconds; NaN where it cannot be read.</summary>
internal static class MachineCpu
{
    // Clock ticks of /proc/stat and /proc/{pid}/stat (USER_HZ, 100 on Linux).
    private const double TicksPerSecond = 100.0;

    /// <summary>CPU time all processes of the machine have used.</summary>
    public static double BusySeconds()
    {
        try
        {
            // cpu  user nice system idle iowait irq softirq steal ...
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long Field(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
            return (Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>User and system CPU time of one process (its threads, not its children).</summary>
    public static double ProcessSeconds(int pid)
    {
        try
        {
            // pid (comm) state ... field 14 utime, 15 stime; comm may hold spaces, so count from the closing parenthesis.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>The value below which a share <paramref name="p"/> of <paramref name="sorted"/> lies.</summary>
    public static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
