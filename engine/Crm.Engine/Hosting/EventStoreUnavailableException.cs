namespace Crm.Engine.Hosting;

/// <summary>The engine could not open its event store when the silo started (e.g. the database is unreachable); start-up fails.</summary>
public sealed class EventStoreUnavailableException(string message, Exception inner) : Exception(message, inner);
