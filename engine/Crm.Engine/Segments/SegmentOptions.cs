namespace Crm.Engine.Segments;

/// <summary>How segment membership is kept (<c>Crm:Segments</c>).</summary>
public sealed class SegmentOptions
{
    /// <summary>
    /// How often a segment whose filter holds a relative time (<c>now-30d</c>, <c>today</c>) is evaluated again over
    /// every record, since the clock alone moves records in and out of it. Default 15 minutes.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How many membership changes one evaluation writes at a time. Default 16.</summary>
    public int Parallelism { get; set; } = 16;

    internal void Validate()
    {
        if (RefreshInterval < TimeSpan.FromSeconds(1) || RefreshInterval > TimeSpan.FromDays(7)) throw new InvalidOperationException("Crm:Segments:RefreshInterval must be between 1 second and 7 days.");
        if (Parallelism is < 1 or > 256) throw new InvalidOperationException("Crm:Segments:Parallelism must be between 1 and 256.");
    }
}
