using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Crm.Engine.Domain;

namespace Crm.Engine.Rules;

/// <summary>
/// A tenant's rules as folded from its <c>rules</c> stream: every saved version of every rule, and whether each rule
/// is enabled. Versions are kept forever, so an effect's provenance (rule id and version) can always be looked up.
/// </summary>
internal sealed class RuleBook
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>One rule: its versions, oldest first, and its switch.</summary>
    internal sealed class Entry(string id)
    {
        public string Id { get; } = id;
        public List<RuleDefinition> Versions { get; } = [];
        public bool Enabled { get; set; } = true;
        public string? DisabledReason { get; set; }
        public bool Deleted { get; set; }

        /// <summary>The newest version with the rule's current switch.</summary>
        public RuleDefinition Current => Versions[^1] with { Enabled = Enabled && !Deleted, DisabledReason = DisabledReason };
    }

    private readonly Dictionary<string, Entry> _rules = new(StringComparer.Ordinal);

    /// <summary>Pending timers of the rules stream: the next occurrence of each schedule rule.</summary>
    public SortedDictionary<string, RecordTimer> Timers { get; } = new(StringComparer.Ordinal);

    /// <summary>The stream version folded.</summary>
    public long Version { get; private set; }

    /// <summary>Every rule ever saved, deleted ones included.</summary>
    public IReadOnlyCollection<Entry> Rules => _rules.Values;

    public Entry? Find(string id) => _rules.GetValueOrDefault(id);

    public static RuleBook Fold(IEnumerable<CrmEvent> events)
    {
        var book = new RuleBook();
        foreach (var e in events) book.Apply(e);
        return book;
    }

    public void Apply(CrmEvent e)
    {
        Version = e.Version;
        var payload = JsonNode.Parse(e.PayloadJson)!.AsObject();
        switch (e.Type)
        {
            case EventTypes.RuleSaved:
            {
                var definition = payload["rule"].Deserialize<RuleDefinition>(Json)!;
                if (!_rules.TryGetValue(definition.Id, out var entry)) _rules[definition.Id] = entry = new Entry(definition.Id);
                entry.Versions.Add(definition);
                entry.Deleted = false;
                entry.Enabled = definition.Enabled;
                entry.DisabledReason = definition.Enabled ? null : definition.DisabledReason;
                break;
            }
            case EventTypes.RuleEnabled when _rules.TryGetValue((string)payload["id"]!, out var entry):
                entry.Enabled = true;
                entry.DisabledReason = null;
                break;
            case EventTypes.RuleDisabled when _rules.TryGetValue((string)payload["id"]!, out var entry):
                entry.Enabled = false;
                entry.DisabledReason = (string?)payload["reason"];
                break;
            case EventTypes.RuleDeleted when _rules.TryGetValue((string)payload["id"]!, out var entry):
                entry.Deleted = true;
                break;
            case EventTypes.TimerScheduled:
                Timers[(string)payload["name"]!] = new RecordTimer((string)payload["name"]!, payload["dueAt"]!.GetValue<DateTimeOffset>(), payload["payload"]?.ToJsonString());
                break;
            case EventTypes.TimerCancelled or EventTypes.TimerFired:
                Timers.Remove((string)payload["name"]!);
                break;
        }
    }

    /// <summary>The payload of a <c>rule.saved</c> event.</summary>
    public static JsonObject SavedPayload(RuleDefinition definition) =>
        new() { ["rule"] = JsonSerializer.SerializeToNode(definition, Json) };
}
