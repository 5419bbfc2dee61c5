using System.Diagnostics;

namespace Crm.Benchmarks;

/// <summary>What one timed section cost: wall time, CPU time of the whole process, allocations and GC work.</summary>
internal sealed record Measurement(
    long Operations,
    TimeSpan Elapsed,
    TimeSpan Cpu,
    long AllocatedBytes,
    int Gen0,
    int Gen1,
    int Gen2,
    TimeSpan GcPause,
    long MethodsCompiled)
{
    public double PerSecond => Operations / Elapsed.TotalSeconds;

    /// <summary>Process CPU time per operation, in microseconds (both cores together).</summary>
    public double CpuMicrosPerOp => Cpu.TotalMicroseconds / Operations;

    /// <summary>Average cores busy during the section.</summary>
    public double CoresBusy => Cpu / Elapsed;

    /// <summary>Allocated per operation, from allocation ticks (an estimate within a few percent).</summary>
    public double AllocatedKbPerOp => AllocatedBytes / 1024.0 / Operations;

    /// <summary>Starts measuring; dispose-free, call <see cref="Probe.Stop"/> once.</summary>
    public static Probe Start() => new();

    internal sealed class Probe
    {
        private readonly long _started = Stopwatch.GetTimestamp();
        private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
        private readonly long _allocated = RuntimeEvents.Instance.AllocatedBytes;
        private readonly int _gen0 = GC.CollectionCount(0);
        private readonly int _gen1 = GC.CollectionCount(1);
        private readonly int _gen2 = GC.CollectionCount(2);
        private readonly TimeSpan _pause = GC.GetTotalPauseDuration();
        private readonly long _compiled = RuntimeEvents.Instance.MethodsCompiled;

        public Measurement Stop(long operations) => new(
            operations,
            Stopwatch.GetElapsedTime(_started),
            Process.GetCurrentProcess().TotalProcessorTime - _cpu,
            RuntimeEvents.Instance.AllocatedBytes - _allocated,
            GC.CollectionCount(0) - _gen0,
            GC.CollectionCount(1) - _gen1,
            GC.CollectionCount(2) - _gen2,
            GC.GetTotalPauseDuration() - _pause,
            RuntimeEvents.Instance.MethodsCompiled - _compiled);
    }
}
