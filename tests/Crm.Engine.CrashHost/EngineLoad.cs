using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Engine.Testing;

namespace Crm.Engine.CrashHost;

/// <summary>
/// Many concurrent writers creating contacts and updating random existing ones (so writers also meet on the same
/// grain), all through <see cref="ICrmClient"/>. Runs until cancelled or killed.
/// </summary>
internal static class EngineLoad
{
    /// <summary>Share of writes that create a contact; the rest update one.</summary>
    private const double CreateShare = 0.25;

    public static async Task<int> RunAsync(CrashHostArguments arguments, CancellationToken stop)
    {
        await using var engine = await CrmTestEngine.StartAsync(dataDirectory: arguments.DataDirectory, cancellationToken: stop);
        var crm = engine.Client;
        var contacts = new ContactPool();
        HostOutput.Print(HostOutput.Ready);

        var writers = Enumerable.Range(0, arguments.Writers).Select(w => Task.Run(() => WriteAsync(crm, contacts, w, stop), stop));
        try
        {
            await Task.WhenAll(writers);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return 0;
    }

    private static async Task WriteAsync(ICrmClient crm, ContactPool contacts, int writer, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var marker = string.Create(CultureInfo.InvariantCulture, $"w{writer}n{n}");
            var existing = Random.Shared.NextDouble() < CreateShare ? null : contacts.PickOrNull();
            CrmRecord record;
            if (existing is null)
            {
                record = await crm.CreateAsync(RecordTypes.Contact, new JsonObject
                {
                    ["firstName"] = "Writer" + writer.ToString(CultureInfo.InvariantCulture),
                    ["lastName"] = "Load",
                    ["title"] = marker,
                });
                contacts.Add(record.Id);
            }
            else
            {
                record = await crm.UpdateAsync(RecordTypes.Contact, existing, new JsonObject { ["title"] = marker });
            }

            HostOutput.Acknowledged($"{RecordTypes.Contact}/{record.Id}", record.Version, marker);
        }
    }

    private sealed class ContactPool
    {
        private readonly Lock _gate = new();
        private readonly List<string> _ids = [];

        public void Add(string id)
        {
            lock (_gate) _ids.Add(id);
        }

        public string? PickOrNull()
        {
            lock (_gate) return _ids.Count == 0 ? null : _ids[Random.Shared.Next(_ids.Count)];
        }
    }
}
