using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Domain;

namespace Crm.Benchmarks;

/// <summary>
/// The CPU a contact create spends in the engine's domain code, step by step, on one thread and without Orleans or
/// storage: the same calls <c>CrmClient.CreateAsync</c> and <c>RecordGrain.CreateAsync</c> make, timed separately.
/// Contacts go through in small chunks, each step over the whole chunk, so what a step allocates dies young as it
/// does in a grain. Steps are timed in the thread's CPU time, so other load on the machine does not inflate them.
/// </summary>
internal static class CreatePipelineProfile
{
    private const int Chunk = 256;

    public sealed record Step(string Name, double MicrosPerOp, double AllocatedBytesPerOp);

    public static IReadOnlyList<Step> Run(IReadOnlyList<ContactInput> contacts)
    {
        var settings = new TenantSettings();
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var names = new List<string>();
        var nanoseconds = new List<long>();
        var bytes = new List<long>();
        var json = new string[Chunk];
        var parsed = new JsonObject[Chunk];
        var plans = new RecordChangePlan[Chunk];
        var payloads = new string[Chunk];
        var states = new RecordState[Chunk];
        var records = new CrmRecord[Chunk];
        var measured = 0;

        // The first chunks only warm up (tiered compilation); the rest are timed.
        var warmUpChunks = Math.Min(8, contacts.Count / Chunk / 2);
        for (var chunk = 0; chunk * Chunk < contacts.Count; chunk++)
        {
            var start = chunk * Chunk;
            var count = Math.Min(Chunk, contacts.Count - start);
            var timed = chunk >= warmUpChunks;
            var stepIndex = 0;

            void Time(string name, Action<int> step)
            {
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var started = ThreadClock.CurrentThreadCpuNanoseconds();
                for (var i = 0; i < count; i++)
                {
                    step(i);
                }

                var elapsed = ThreadClock.CurrentThreadCpuNanoseconds() - started;
                if (!timed)
                {
                    return;
                }

                if (names.Count == stepIndex)
                {
                    names.Add(name);
                    nanoseconds.Add(0);
                    bytes.Add(0);
                }

                nanoseconds[stepIndex] += elapsed;
                bytes[stepIndex] += GC.GetAllocatedBytesForCurrentThread() - allocated;
                stepIndex++;
            }

            Time("client: build fields, to JSON", i => json[i] = contacts[start + i].ToFields().ToJsonString());
            Time("grain: parse command JSON", i => parsed[i] = (JsonObject)JsonNode.Parse(json[i])!);
            Time("grain: plan (validate, normalise, diff)", i =>
                plans[i] = RecordChangePlanner.Plan(RecordTypes.Contact, [], parsed[i], settings, isCreate: true, now));
            Time("  of which normalise phone (libphonenumber)", i => ContactPoints.NormalizePhone(contacts[start + i].Phone, settings.DefaultPhoneRegion));
            Time("  of which normalise email (MailAddress)", i => ContactPoints.NormalizeEmail(contacts[start + i].Email));
            Time("grain: event payload to JSON", i => payloads[i] = new JsonObject { ["fields"] = plans[i].Next }.ToJsonString());
            Time("grain: fold event into state", i =>
            {
                var state = new RecordState(RecordTypes.Contact, "c" + i);
                state.Apply(new CrmEvent
                {
                    EventId = Guid.CreateVersion7(now),
                    Tenant = "default",
                    StreamId = "contact/c" + i,
                    Version = 1,
                    Type = EventTypes.RecordCreated,
                    SchemaVersion = 1,
                    Time = now,
                    Actor = Actor.System,
                    PayloadJson = payloads[i],
                });
                states[i] = state;
            });
            Time("grain: record view (ToRecord)", i => records[i] = RecordProjection.ToRecord(states[i], settings));
            Time("grain: read-model row (ToRow)", i => RecordProjection.ToRow(states[i], records[i]));
            Time("  of which phone search terms (libphonenumber)", i => ContactPoints.PhoneSearchTerms(states[i].GetString("phone")!).Count());
            if (timed)
            {
                measured += count;
            }
        }

        return [.. names.Select((name, s) => new Step(name, nanoseconds[s] / 1000.0 / measured, (double)bytes[s] / measured))];
    }

    /// <summary>The sum of the top-level steps (the "of which" lines are inside them).</summary>
    public static double TotalMicros(IReadOnlyList<Step> steps) =>
        steps.Where(s => !s.Name.StartsWith(' ')).Sum(s => s.MicrosPerOp);
}
