namespace Crm.Engine.Storage;

/// <summary>Refuses malformed appends on the caller's thread, before any store does I/O for them (shared by every store).</summary>
internal static class AppendValidation
{
    public static void Validate(AppendRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.Tenant))
        {
            throw new ArgumentException("An append needs a tenant.", nameof(request));
        }

        if (string.IsNullOrEmpty(request.StreamId))
        {
            throw new ArgumentException("An append needs a stream id.", nameof(request));
        }

        if (request.ExpectedVersion < 0)
        {
            throw new ArgumentException($"Expected version {request.ExpectedVersion} of stream '{request.StreamId}' is negative.", nameof(request));
        }

        if (request.Events is null || request.Events.Count == 0)
        {
            throw new ArgumentException($"An append to stream '{request.StreamId}' needs at least one event.", nameof(request));
        }

        foreach (var e in request.Events)
        {
            if (e is null || string.IsNullOrEmpty(e.Type) || e.PayloadJson is null || e.Actor is null)
            {
                throw new ArgumentException($"Every event appended to stream '{request.StreamId}' needs a type, a payload and an actor.", nameof(request));
            }
        }

        if (request.Row is { } row)
        {
            ValidateRow(request.StreamId, row);
        }

        ValidateTimers(request);
        if (request.EffectKey is { Length: 0 or > MaxKeyLength })
        {
            throw new ArgumentException($"The effect key of an append to stream '{request.StreamId}' must be 1 to {MaxKeyLength} characters.", nameof(request));
        }
    }

    /// <summary>Longest timer name or effect key.</summary>
    public const int MaxKeyLength = 400;

    private static void ValidateTimers(AppendRequest request)
    {
        if (request.ScheduleTimers is null || request.CancelTimers is null)
        {
            throw new ArgumentException($"The timers of an append to stream '{request.StreamId}' are null.", nameof(request));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var timer in request.ScheduleTimers)
        {
            if (timer is null || !IsTimerName(timer.Name) || !names.Add(timer.Name))
            {
                throw new ArgumentException($"A timer scheduled on stream '{request.StreamId}' needs a distinct name of 1 to {MaxKeyLength} characters.", nameof(request));
            }
        }

        foreach (var name in request.CancelTimers)
        {
            if (!IsTimerName(name))
            {
                throw new ArgumentException($"A timer cancelled on stream '{request.StreamId}' needs a name of 1 to {MaxKeyLength} characters.", nameof(request));
            }
        }

        if (request.FiresTimer is { } firing && !IsTimerName(firing.Name))
        {
            throw new ArgumentException($"The timer fired on stream '{request.StreamId}' needs a name of 1 to {MaxKeyLength} characters.", nameof(request));
        }
    }

    private static bool IsTimerName(string? name) => name is { Length: > 0 and <= MaxKeyLength };

    private static void ValidateRow(string streamId, RecordRow row)
    {
        if (string.IsNullOrEmpty(row.Type) || string.IsNullOrEmpty(row.Id) || row.DataJson is null || row.SearchText is null)
        {
            throw new ArgumentException($"The row appended to stream '{streamId}' needs a type, an id, data and search text.", nameof(row));
        }

        // Claims, links and the timeline address a record by its stream, so the row must be the stream's own.
        if (StreamIds.ForRecord(row.Type, row.Id) != streamId)
        {
            throw new ArgumentException($"The row {row.Type}/{row.Id} does not belong to stream '{streamId}'.", nameof(row));
        }

        if (row.UniqueClaims is null || row.Links is null)
        {
            throw new ArgumentException($"The row of stream '{streamId}' has null unique keys or links.", nameof(row));
        }

        foreach (var key in row.UniqueClaims)
        {
            if (key is null || string.IsNullOrEmpty(key.Kind) || key.Value is null)
            {
                throw new ArgumentException($"A unique key of stream '{streamId}' needs a kind and a value.", nameof(row));
            }
        }

        foreach (var link in row.Links)
        {
            if (link is null || string.IsNullOrEmpty(link.TargetType) || string.IsNullOrEmpty(link.TargetId))
            {
                throw new ArgumentException($"A link of stream '{streamId}' needs a target type and id.", nameof(row));
            }
        }
    }
}
