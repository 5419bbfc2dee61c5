using System.Diagnostics.Tracing;

namespace Crm.Benchmarks;

/// <summary>
/// Listens to the runtime's own events: allocation ticks (one per ~100 KB allocated on a heap) and methods being
/// compiled. The ticks replace <see cref="GC.GetTotalAllocatedBytes"/>, whose difference between two readings came
/// out negative on server GC in long multi-threaded runs here; they are an estimate within a few percent. Methods
/// compiled during a timed section show how far tiered compilation still was from settled.
/// </summary>
internal sealed class RuntimeEvents : EventListener
{
    private const int AllocationTickEventId = 10;
    private const int MethodJittingStartedEventId = 145;
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const EventKeywords JitKeyword = (EventKeywords)0x10;

    private long _allocatedBytes;
    private long _methodsCompiled;

    public static RuntimeEvents Instance { get; } = new();

    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    public long MethodsCompiled => Interlocked.Read(ref _methodsCompiled);

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword | JitKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        switch (e.EventId)
        {
            case MethodJittingStartedEventId:
                Interlocked.Increment(ref _methodsCompiled);
                break;
            case AllocationTickEventId when e.PayloadNames is not null:
                var index = e.PayloadNames.IndexOf("AllocationAmount64");
                if (index < 0)
                {
                    index = e.PayloadNames.IndexOf("AllocationAmount");
                }

                Interlocked.Add(ref _allocatedBytes, Convert.ToInt64(e.Payload![index], System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
