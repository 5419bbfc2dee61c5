using System.Globalization;
using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>What merging one contact into another writes on the survivor.</summary>
public sealed record ContactMergePlan(
    IReadOnlyDictionary<string, JsonNode?> Changes,
    IReadOnlyDictionary<string, JsonNode?> Previous,
    IReadOnlyList<RecordLink> NewLinks,
    IReadOnlyList<JsonObject> ConsentEvents,
    IReadOnlyList<string> Filled,
    IReadOnlyList<MergeConflict> Conflicts);

/// <summary>
/// Plans a contact merge on the survivor: empty fields are filled from the merged contact (the survivor wins on
/// conflicts, which are listed), tags, emails and phones are united (the survivor's primary stays first), the later
/// <c>lastActivityAt</c> stays, the merged contact's links are added, and per address × purpose × channel the latest
/// explicit consent decision wins, keeping its source and proof.
/// </summary>
public static class ContactMergePlanner
{
    // Fields united or derived rather than filled.
    private static readonly HashSet<string> Special = ["email", "emails", "phone", "phones", "tags", "custom", "lastActivityAt", "mergedInto", "mergedFrom"];

    /// <summary>
    /// Plans the merge of <paramref name="merged"/> into <paramref name="survivor"/>. Unique values in
    /// <paramref name="heldElsewhere"/> (<c>email</c> or <c>externalId</c> with the value) were taken by another record
    /// meanwhile: they are left out and listed as conflicts with nothing kept.
    /// </summary>
    public static ContactMergePlan Plan(RecordState survivor, RecordState merged, IReadOnlyCollection<(string Field, string Value)>? heldElsewhere = null)
    {
        heldElsewhere ??= [];
        merged = Without(merged, heldElsewhere);
        var current = survivor.Fields;
        var next = (JsonObject)current.DeepClone();
        var filled = new List<string>();
        var conflicts = new List<MergeConflict>();

        void Take(string path, JsonNode? mine, JsonNode? theirs)
        {
            if (theirs is null) return;
            if (mine is null)
            {
                FieldPaths.Set(next, path, theirs.DeepClone());
                filled.Add(path);
            }
            else if (!JsonNode.DeepEquals(mine, theirs))
            {
                conflicts.Add(new MergeConflict(path, Text(mine), Text(theirs)));
            }
        }

        foreach (var (key, value) in merged.Fields)
        {
            if (!Special.Contains(key)) Take(key, current[key], value);
        }

        if (merged.Fields["custom"] is JsonObject custom)
        {
            foreach (var (name, value) in custom) Take("custom." + name, FieldPaths.Get(current, "custom." + name), value);
        }

        Unite(next, current, merged.Fields, "tags", null);
        Unite(next, current, merged.Fields, "emails", "email");
        Unite(next, current, merged.Fields, "phones", "phone");
        if (merged.GetString("lastActivityAt") is { } theirActivity &&
            (survivor.GetString("lastActivityAt") is not { } mine || string.CompareOrdinal(Normal(theirActivity), Normal(mine)) > 0))
        {
            next["lastActivityAt"] = theirActivity;
        }

        var links = merged.Links
            .Where(l => !survivor.Links.Any(s => s.TargetType == l.TargetType && s.TargetId == l.TargetId))
            .ToList();

        conflicts.AddRange(heldElsewhere.Select(h => new MergeConflict(h.Field == "email" ? "emails" : h.Field, null, h.Value)));
        var (changes, previous) = Diff(current, next);
        return new ContactMergePlan(changes, previous, links, ConsentEvents(survivor, merged), filled, conflicts);
    }

    // The merged contact as if it did not hold the values another record has claimed.
    private static RecordState Without(RecordState merged, IReadOnlyCollection<(string Field, string Value)> held)
    {
        if (held.Count == 0) return merged;
        var copy = RecordState.Fold(merged.Type, merged.Id, []);
        copy.Fields.Clear();
        foreach (var (key, value) in merged.Fields) copy.Fields[key] = value?.DeepClone();
        var emails = held.Where(h => h.Field == "email").Select(h => h.Value).ToHashSet(StringComparer.Ordinal);
        if (copy.Fields["emails"] is JsonArray list)
        {
            var kept = list.Select(n => n!.GetValue<string>()).Where(e => !emails.Contains(e)).ToList();
            copy.Fields["emails"] = new JsonArray([.. kept.Select(e => (JsonNode)JsonValue.Create(e))]);
            if (kept.Count == 0) copy.Fields.Remove("email");
            else copy.Fields["email"] = kept[0];
        }

        if (held.Any(h => h.Field == "externalId" && h.Value == copy.GetString("externalId"))) copy.Fields.Remove("externalId");
        foreach (var link in merged.Links) copy.Links.Add(link);
        foreach (var entry in merged.Consent.Entries) copy.Consent.Add(entry);
        return copy;
    }

    private static void Unite(JsonObject next, JsonObject current, JsonObject theirs, string list, string? primary)
    {
        var mine = Strings(current[list]);
        var all = mine.Concat(Strings(theirs[list])).Distinct(StringComparer.Ordinal).ToList();
        if (all.Count == mine.Count) return;
        next[list] = new JsonArray([.. all.Select(v => (JsonNode)JsonValue.Create(v))]);
        if (primary is not null) next[primary] = all[0];
    }

    // For every address of the merged contact, purpose and channel: its deciding entry moves over when it is later
    // than the survivor's deciding entry for that address (an entry for all addresses counts for each of them).
    private static List<JsonObject> ConsentEvents(RecordState survivor, RecordState merged)
    {
        var events = new List<JsonObject>();
        foreach (var group in merged.Consent.Entries.GroupBy(e => (e.Purpose, e.Channel)))
        {
            var addresses = AddressesOn(merged, group.Key.Channel);
            if (addresses.Count == 0) addresses = [ConsentLedger.AnyAddress];
            foreach (var address in addresses)
            {
                var theirs = Latest(group.Where(e => e.Address == address || e.Address == ConsentLedger.AnyAddress));
                if (theirs is null) continue;
                var mine = Latest(survivor.Consent.Entries.Where(e =>
                    e.Purpose == group.Key.Purpose && e.Channel == group.Key.Channel && (e.Address == address || e.Address == ConsentLedger.AnyAddress)));
                if (mine is not null && mine.At >= theirs.At) continue;
                events.Add(new JsonObject
                {
                    ["purpose"] = theirs.Purpose,
                    ["channel"] = theirs.Channel,
                    ["address"] = address,
                    ["status"] = theirs.Status.ToString(),
                    ["lawfulBasis"] = theirs.LawfulBasis.ToString(),
                    ["source"] = theirs.Source,
                    ["proof"] = theirs.Proof,
                    ["at"] = FieldValidator.FormatTime(theirs.At),
                    ["mergedFrom"] = merged.Id,
                    ["mergedEventId"] = theirs.EventId.ToString(),
                });
            }
        }

        return events;
    }

    private static ConsentEntry? Latest(IEnumerable<ConsentEntry> entries)
    {
        ConsentEntry? best = null;
        foreach (var e in entries)
        {
            if (best is null || e.At >= best.At) best = e;
        }

        return best;
    }

    private static List<string> AddressesOn(RecordState state, string channel) => channel switch
    {
        Channels.Email => Strings(state.Fields["emails"]),
        Channels.Sms or Channels.Phone or "whatsapp" => Strings(state.Fields["phones"]),
        _ => [],
    };

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : [];

    private static string Normal(string time) =>
        DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? FieldValidator.FormatTime(t) : time;

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    private static (Dictionary<string, JsonNode?>, Dictionary<string, JsonNode?>) Diff(JsonObject current, JsonObject next)
    {
        var changes = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var previous = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, after) in next)
        {
            if (key == "custom")
            {
                var before = current["custom"] as JsonObject ?? [];
                foreach (var (name, value) in (JsonObject)after!)
                {
                    if (JsonNode.DeepEquals(before[name], value)) continue;
                    changes["custom." + name] = value?.DeepClone();
                    previous["custom." + name] = before[name]?.DeepClone();
                }

                continue;
            }

            if (JsonNode.DeepEquals(current[key], after)) continue;
            changes[key] = after?.DeepClone();
            previous[key] = current[key]?.DeepClone();
        }

        return (changes, previous);
    }
}
