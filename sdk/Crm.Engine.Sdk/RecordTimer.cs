namespace Crm.Engine;

/// <summary>
/// A durable timer on a record: when it comes due the record gets a <c>timer.fired</c> event (once), which rules and
/// log subscribers react to. Setting a timer with the name of a pending one moves it.
/// </summary>
/// <param name="Name">Unique per record: letters, digits and <c>. _ : -</c>, e.g. <c>followUp.firstCall</c>; names starting with <c>sla.</c> are reserved for the engine.</param>
/// <param name="DueAt">When it fires; a time in the past fires at once.</param>
/// <param name="PayloadJson">A JSON object handed to whoever reacts to the firing, or null.</param>
[GenerateSerializer, Immutable, Alias("crm.RecordTimer")]
public sealed record RecordTimer(
    [property: Id(0)] string Name,
    [property: Id(1)] DateTimeOffset DueAt,
    [property: Id(2)] string? PayloadJson = null);
