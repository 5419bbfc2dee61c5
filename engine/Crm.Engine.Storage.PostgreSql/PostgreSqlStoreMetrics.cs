namespace Crm.Engine.Storage.PostgreSql;

/// <summary>The store's group-commit figures, under meter <c>Crm.Engine.Storage.PostgreSql</c>.</summary>
internal static class PostgreSqlStoreMetrics
{
    public static StoreMetrics Instance { get; } = new("Crm.Engine.Storage.PostgreSql");
}
