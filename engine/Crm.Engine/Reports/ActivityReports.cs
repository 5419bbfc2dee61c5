using Crm.Engine.Domain;

namespace Crm.Engine.Reports;

/// <summary>The funnel, case and owner-activity reports, computed from facts and settings alone.</summary>
internal static class ActivityReports
{
    /// <summary>The row name of records without a source, queue or owner.</summary>
    public const string None = "(none)";

    private static readonly int Mql = Stage("mql");
    private static readonly int Sql = Stage("sql");
    private static readonly int Customer = Stage("customer");

    public static FunnelReport Funnel(ReportFacts facts, ReportContext context, long position)
    {
        var rows = new SortedDictionary<string, FunnelCount>(StringComparer.Ordinal);
        FunnelCount Row(string? source) => rows.TryGetValue(source ?? None, out var row) ? row : rows[source ?? None] = new FunnelCount();
        foreach (var contact in facts.Contacts.Where(c => context.InPeriod(c.CreatedAt)))
        {
            var row = Row(contact.Source);
            row.Contacts++;
            if (contact.Reached >= Mql) row.Mql++;
            if (contact.Reached >= Sql) row.Sql++;
            if (contact.Reached >= Customer) row.Customers++;
        }

        foreach (var deal in facts.Deals.Where(d => context.IsWon(d) && context.InPeriod(d.StageAt)))
        {
            var row = Row(deal.Source);
            row.DealsWon++;
            row.WonAmount += context.BaseAmount(deal) ?? 0;
        }

        var list = rows.Select(r => r.Value.ToRow(r.Key)).ToList();
        var total = new FunnelCount
        {
            Contacts = list.Sum(r => r.Contacts), Mql = list.Sum(r => r.Mql), Sql = list.Sum(r => r.Sql), Customers = list.Sum(r => r.Customers),
            DealsWon = list.Sum(r => r.DealsWon), WonAmount = list.Sum(r => r.WonAmount),
        };
        return new FunnelReport
        {
            Currency = context.Settings.BaseCurrency,
            Position = position,
            Sources = list,
            Total = total.ToRow("total"),
            MissingRates = context.MissingRates,
        };
    }

    public static CaseReport Cases(ReportFacts facts, ReportContext context, long position)
    {
        var inPeriod = facts.Cases.Where(c => context.InPeriod(c.CreatedAt)).ToList();
        var queues = inPeriod.GroupBy(c => c.QueueId ?? None).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => CaseRow(g.Key, g.ToList())).ToList();
        return new CaseReport { Position = position, Queues = queues, Total = CaseRow("total", inPeriod) };
    }

    public static OwnerActivityReport OwnerActivity(ReportFacts facts, ReportContext context, long position)
    {
        var rows = new SortedDictionary<string, OwnerCount>(StringComparer.Ordinal);
        OwnerCount Row(string? owner) => rows.TryGetValue(owner ?? None, out var row) ? row : rows[owner ?? None] = new OwnerCount();
        foreach (var interaction in facts.Interactions.Where(i => context.InPeriod(i.At))) Row(interaction.OwnerId).Interactions++;
        foreach (var task in facts.Tasks.Where(t => t.DoneAt is { } done && context.InPeriod(done))) Row(task.AssigneeId).TasksDone++;
        foreach (var deal in facts.Deals.Where(d => context.IsWon(d) && context.InPeriod(d.StageAt)))
        {
            var row = Row(deal.OwnerId);
            row.DealsWon++;
            row.WonAmount += context.BaseAmount(deal) ?? 0;
        }

        return new OwnerActivityReport
        {
            Currency = context.Settings.BaseCurrency,
            Position = position,
            Owners = [.. rows.Select(r => new OwnerActivityRow
            {
                Owner = r.Key, Interactions = r.Value.Interactions, TasksDone = r.Value.TasksDone,
                DealsWon = r.Value.DealsWon, WonAmount = ReportContext.Round(r.Value.WonAmount),
            })],
            MissingRates = context.MissingRates,
        };
    }

    private static CaseQueueRow CaseRow(string queue, List<CaseFact> cases)
    {
        var response = cases.Where(c => c.RespondedAt is not null).Select(c => (decimal)(c.RespondedAt!.Value - c.CreatedAt).TotalMinutes).ToList();
        var resolution = cases.Where(c => c.ResolvedAt is not null).Select(c => (decimal)(c.ResolvedAt!.Value - c.CreatedAt).TotalMinutes).ToList();
        var breached = cases.Count(c => c.UnderSla && c.Breached);
        var met = cases.Count(c => c.UnderSla && !c.Breached && c.ResolvedAt is not null);
        return new CaseQueueRow
        {
            Queue = queue,
            Created = cases.Count,
            Responded = response.Count,
            Resolved = resolution.Count,
            AverageFirstResponseMinutes = Average(response),
            MedianFirstResponseMinutes = Median(response),
            AverageResolutionMinutes = Average(resolution),
            MedianResolutionMinutes = Median(resolution),
            SlaMet = met,
            SlaBreached = breached,
            SlaCompliance = ReportContext.Percent(met, met + breached),
        };
    }

    private static decimal? Average(List<decimal> values) => values.Count == 0 ? null : ReportContext.Round(values.Sum() / values.Count);

    private static decimal? Median(List<decimal> values)
    {
        if (values.Count == 0) return null;
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return ReportContext.Round(sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2);
    }

    private static int Stage(string name)
    {
        for (var i = 0; i < RecordSchema.LifecycleStages.Count; i++)
        {
            if (RecordSchema.LifecycleStages[i] == name) return i;
        }

        throw new InvalidOperationException($"'{name}' is not a lifecycle stage.");
    }

    private sealed class FunnelCount
    {
        public int Contacts;
        public int Mql;
        public int Sql;
        public int Customers;
        public int DealsWon;
        public decimal WonAmount;

        public FunnelRow ToRow(string source) => new()
        {
            Source = source, Contacts = Contacts, Mql = Mql, Sql = Sql, Customers = Customers,
            CustomerRate = ReportContext.Percent(Customers, Contacts), DealsWon = DealsWon, WonAmount = ReportContext.Round(WonAmount),
        };
    }

    private sealed class OwnerCount
    {
        public int Interactions;
        public int TasksDone;
        public int DealsWon;
        public decimal WonAmount;
    }
}
