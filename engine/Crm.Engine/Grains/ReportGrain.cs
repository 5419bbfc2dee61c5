using Crm.Engine.Reports;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Orleans.Concurrency;

namespace Crm.Engine.Grains;

/// <summary>
/// Reports of one tenant: reads the tenant's rows of the reports projection and its current settings, and computes.
/// Stateless, so any silo serves them in parallel.
/// </summary>
[StatelessWorker]
internal sealed class ReportGrain(IEventStore store, TenantSettingsProvider settings) : Grain, IReportGrain
{
    private static readonly string[] DealTypes = [RecordTypes.Deal];

    private string Tenant => this.GetPrimaryKeyString();

    public Task<PipelineReport> PipelineAsync(ReportQuery query) => RunAsync(query, DealTypes, DealReports.Pipeline);

    public Task<ForecastReport> ForecastAsync(ReportQuery query) => RunAsync(query, DealTypes, DealReports.Forecast);

    public Task<WinRateReport> WinRateAsync(ReportQuery query) => RunAsync(query, DealTypes, DealReports.WinRate);

    public Task<FunnelReport> FunnelAsync(ReportQuery query) => RunAsync(query, [RecordTypes.Contact, RecordTypes.Deal], ActivityReports.Funnel);

    public Task<CaseReport> CasesAsync(ReportQuery query) => RunAsync(query, [RecordTypes.Case], ActivityReports.Cases);

    public Task<OwnerActivityReport> OwnerActivityAsync(ReportQuery query) =>
        RunAsync(query, [RecordTypes.Interaction, RecordTypes.Task, RecordTypes.Deal], ActivityReports.OwnerActivity);

    public async Task<ReportStatus> StatusAsync() => new(
        await store.Projections.GetCheckpointAsync(ReportFactsProjection.ProjectionName),
        await store.GetHeadPositionAsync());

    public Task RebuildAsync() => store.Projections.ResetAsync(ReportFactsProjection.ProjectionName);

    private async Task<T> RunAsync<T>(ReportQuery query, IReadOnlyCollection<string> types, Func<ReportFacts, ReportContext, long, T> compute)
    {
        ArgumentNullException.ThrowIfNull(query);
        var context = new ReportContext(await settings.GetAsync(Tenant), query);
        // The checkpoint is read before the rows: the rows are at least as new as the position reported.
        var position = await store.Projections.GetCheckpointAsync(ReportFactsProjection.ProjectionName);
        var facts = await ReportFacts.LoadAsync(store.Projections, Tenant, types, CancellationToken.None);
        return compute(facts, context, position);
    }
}
