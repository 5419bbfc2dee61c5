using System.Globalization;
using CsvHelper;
using Crm.Engine.Reports;

namespace Crm.Server.Api;

/// <summary>A report flattened to a header and rows, for CSV.</summary>
internal sealed record ReportTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<object?>> Rows)
{
    /// <summary>RFC 4180 CSV (quoted where needed), numbers and dates in the invariant culture.</summary>
    public byte[] ToCsv()
    {
        var buffer = new MemoryStream();
        using (var csv = CsvWriter.Create(buffer))
        {
            foreach (var column in Header) csv.WriteField(column);
            csv.EndRecord();
            foreach (var row in Rows)
            {
                foreach (var cell in row) csv.WriteField(Cell(cell));
                csv.EndRecord();
            }
        }

        return buffer.ToArray();
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        string s => Text(s),
        _ => Text(value.ToString() ?? ""),
    };

    /// <summary>Text a spreadsheet would run as a formula (a source of "=HYPERLINK(…)") is written with a leading apostrophe.</summary>
    private static string Text(string text) => text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + text : text;
}

/// <summary>How each report becomes a table: one row per stage, month, source, queue or owner, then a total row.</summary>
internal static class ReportTables
{
    public static ReportTable Pipeline(PipelineReport r) => new(
        ["stage", "name", "probability", "count", "amount", "weighted", "currency"],
        [
            .. r.Stages.Select(s => Row(s.Stage, s.Name, s.Probability, s.Count, s.Amount, s.Weighted, r.Currency)),
            Row("total", "", null, r.Count, r.Amount, r.Weighted, r.Currency),
        ]);

    public static ReportTable Forecast(ForecastReport r) => new(
        ["kind", "period", "fiscalYear", "fiscalQuarter", "count", "amount", "weighted", "wonCount", "won", "currency"],
        [
            .. r.Months.Select(b => Bucket("month", b, r.Currency)),
            .. r.Quarters.Select(b => Bucket("quarter", b, r.Currency)),
            Bucket("total", r.Total, r.Currency),
        ]);

    public static ReportTable WinRate(WinRateReport r) => new(
        ["pipeline", "won", "lost", "winRate", "wonAmount", "averageCycleDays", "averageWonCycleDays", "currency"],
        [Row(r.Pipeline ?? "", r.Won, r.Lost, r.WinRate, r.WonAmount, r.AverageCycleDays, r.AverageWonCycleDays, r.Currency)]);

    public static ReportTable Funnel(FunnelReport r) => new(
        ["source", "contacts", "mql", "sql", "customers", "customerRate", "dealsWon", "wonAmount", "currency"],
        [.. r.Sources.Append(r.Total).Select(s => Row(s.Source, s.Contacts, s.Mql, s.Sql, s.Customers, s.CustomerRate, s.DealsWon, s.WonAmount, r.Currency))]);

    public static ReportTable Cases(CaseReport r) => new(
        ["queue", "created", "responded", "resolved", "averageFirstResponseMinutes", "medianFirstResponseMinutes",
         "averageResolutionMinutes", "medianResolutionMinutes", "slaMet", "slaBreached", "slaCompliance"],
        [.. r.Queues.Append(r.Total).Select(q => Row(q.Queue, q.Created, q.Responded, q.Resolved, q.AverageFirstResponseMinutes, q.MedianFirstResponseMinutes,
            q.AverageResolutionMinutes, q.MedianResolutionMinutes, q.SlaMet, q.SlaBreached, q.SlaCompliance))]);

    public static ReportTable OwnerActivity(OwnerActivityReport r) => new(
        ["owner", "interactions", "tasksDone", "dealsWon", "wonAmount", "currency"],
        [.. r.Owners.Select(o => Row(o.Owner, o.Interactions, o.TasksDone, o.DealsWon, o.WonAmount, r.Currency))]);

    private static IReadOnlyList<object?> Bucket(string kind, ForecastBucket b, string currency) =>
        Row(kind, b.Period, b.FiscalYear, b.FiscalQuarter, b.Count, b.Amount, b.Weighted, b.WonCount, b.Won, currency);

    private static IReadOnlyList<object?> Row(params object?[] cells) => cells;
}
