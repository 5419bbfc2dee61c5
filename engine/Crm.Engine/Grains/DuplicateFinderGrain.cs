using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Storage;
using Orleans.Concurrency;

namespace Crm.Engine.Grains;

/// <summary>
/// Finds possible duplicates through the read model: a few indexed lookups per record (unique email, full-text
/// search on an email's local part, a phone's digits, the last name, the first name with the company) narrow the
/// candidates, which <see cref="DuplicateScoring"/> then scores. Never a scan of the tenant per record.
/// </summary>
[StatelessWorker]
internal sealed class DuplicateFinderGrain(IEventStore store) : Grain, IDuplicateFinderGrain
{
    private const int PerLookup = 50;
    private const int MaxCandidates = 20;

    private string Tenant => this.GetPrimaryKeyString();

    public async Task<IReadOnlyList<DuplicateCandidate>> FindAsync(string type, string id)
    {
        var row = await store.ReadModel.GetAsync(Tenant, type, id);
        if (row is null || row.Deleted) throw new RecordNotFoundException(type, id);
        return await CandidatesAsync(type, id, JsonNode.Parse(row.DataJson)!.AsObject());
    }

    public async Task<Page<DuplicatePair>> ScanAsync(string type, string? cursor, int limit)
    {
        var page = await store.ReadModel.QueryAsync(Tenant, type, new RecordQuery { Cursor = cursor, Limit = limit });
        var pairs = new List<DuplicatePair>();
        foreach (var row in page.Items)
        {
            var record = RecordReaderGrain.ToRecord(row);
            // Each pair once: from the record whose id sorts first.
            foreach (var candidate in await CandidatesAsync(type, row.Id, JsonNode.Parse(row.DataJson)!.AsObject()))
            {
                if (string.CompareOrdinal(row.Id, candidate.Record.Id) < 0) pairs.Add(new DuplicatePair { Record = record, Candidate = candidate });
            }
        }

        return new Page<DuplicatePair>(pairs, page.Next);
    }

    private async Task<IReadOnlyList<DuplicateCandidate>> CandidatesAsync(string type, string id, JsonObject fields)
    {
        var rows = new Dictionary<string, RecordRow>(StringComparer.Ordinal);
        foreach (var text in SearchTexts(type, fields))
        {
            var found = await store.ReadModel.QueryAsync(Tenant, type, new RecordQuery { Text = text, Limit = PerLookup });
            foreach (var r in found.Items) rows.TryAdd(r.Id, r);
        }

        if (type == RecordTypes.Contact)
        {
            foreach (var email in Strings(fields["emails"]))
            {
                if (await store.ReadModel.FindByUniqueKeyAsync(Tenant, new UniqueClaim("contact.email", email)) is { } holder && !rows.ContainsKey(holder) &&
                    await store.ReadModel.GetAsync(Tenant, type, holder) is { Deleted: false } r)
                {
                    rows[holder] = r;
                }
            }
        }

        var candidates = new List<DuplicateCandidate>();
        foreach (var row in rows.Values)
        {
            if (row.Id == id || row.Deleted) continue;
            var (score, reasons) = DuplicateScoring.Score(type, fields, JsonNode.Parse(row.DataJson)!.AsObject());
            if (score >= DuplicateScoring.Threshold) candidates.Add(new DuplicateCandidate { Record = RecordReaderGrain.ToRecord(row), Score = score, Reasons = reasons });
        }

        return [.. candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Record.Id, StringComparer.Ordinal).Take(MaxCandidates)];
    }

    // Full-text searches that find every candidate the scoring could report.
    private static IEnumerable<string> SearchTexts(string type, JsonObject fields)
    {
        var texts = new HashSet<string>(StringComparer.Ordinal);
        if (type == RecordTypes.Account)
        {
            if (DuplicateScoring.Domain(fields) is { } domain) texts.Add(domain.Split('.')[0]);
            if (Words(DuplicateScoring.CompanyName(Text(fields, "name"))).FirstOrDefault() is { } word) texts.Add(word);
            if (Text(fields, "phone") is { } accountPhone) texts.Add(accountPhone.TrimStart('+'));
            return texts;
        }

        foreach (var email in Strings(fields["emails"]))
        {
            var mailbox = DuplicateScoring.Mailbox(email);
            var local = mailbox[..mailbox.IndexOf('@')];
            if (Words(local).FirstOrDefault() is { } first) texts.Add(first);
        }

        foreach (var phone in Strings(fields["phones"])) texts.Add(phone.TrimStart('+'));
        var last = Words(Text(fields, "lastName")).FirstOrDefault();
        var firstName = Words(Text(fields, "firstName")).FirstOrDefault();
        if (last is not null) texts.Add(last);
        var company = Words(DuplicateScoring.CompanyName(Text(fields, "company"))).FirstOrDefault();
        if (firstName is not null && company is not null) texts.Add(firstName + " " + company);
        else if (firstName is not null && last is null) texts.Add(firstName);
        return texts;
    }

    // Letters and digits only: what full-text search matches as words.
    private static IEnumerable<string> Words(string? text) =>
        text is null ? [] : new string([.. text.Select(c => char.IsLetterOrDigit(c) ? c : ' ')])
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length >= 2);

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : [];

    private static string? Text(JsonObject fields, string name) =>
        fields[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
