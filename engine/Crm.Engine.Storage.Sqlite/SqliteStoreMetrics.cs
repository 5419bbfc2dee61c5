namespace Crm.Engine.Storage.Sqlite;

/// <summary>The store's group-commit figures, under meter <c>Crm.Engine.Storage.Sqlite</c>.</summary>
internal static class SqliteStoreMetrics
{
    public static StoreMetrics Instance { get; } = new("Crm.Engine.Storage.Sqlite");
}
