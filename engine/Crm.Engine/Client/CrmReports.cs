using Crm.Engine.Grains;
using Crm.Engine.Reports;

namespace Crm.Engine.Client;

/// <summary>The <see cref="ICrmReports"/> of one tenant over its report grain.</summary>
internal sealed class CrmReports(IGrainFactory grains, string tenant) : ICrmReports
{
    private IReportGrain Grain => grains.GetGrain<IReportGrain>(tenant);

    public Task<PipelineReport> PipelineAsync(ReportQuery query, CancellationToken cancellationToken = default) => Grain.PipelineAsync(query);

    public Task<ForecastReport> ForecastAsync(ReportQuery query, CancellationToken cancellationToken = default) => Grain.ForecastAsync(query);

    public Task<WinRateReport> WinRateAsync(ReportQuery query, CancellationToken cancellationToken = default) => Grain.WinRateAsync(query);

    public Task<FunnelReport> FunnelAsync(ReportQuery query, CancellationToken cancellationToken = default) => Grain.FunnelAsync(query);

    public Task<CaseReport> CasesAsync(ReportQuery query, CancellationToken cancellationToken = default) => Grain.CasesAsync(query);

    public Task<OwnerActivityReport> OwnerActivityAsync(ReportQuery query, CancellationToken cancellationToken = default) => Grain.OwnerActivityAsync(query);

    public Task<ReportStatus> GetStatusAsync(CancellationToken cancellationToken = default) => Grain.StatusAsync();

    public Task RebuildAsync(CancellationToken cancellationToken = default) => Grain.RebuildAsync();
}
