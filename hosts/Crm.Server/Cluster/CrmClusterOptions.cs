using System.Net;
using Npgsql;

namespace Crm.Server.Cluster;

/// <summary>
/// Cluster mode (<c>Crm:Cluster</c>, <c>Crm:Silo</c>, <c>ConnectionStrings:Crm</c>): the event store on PostgreSQL,
/// Orleans membership and operational grain state in the same database. Unset, the server runs single-node on SQLite.
/// </summary>
internal sealed class CrmClusterOptions
{
    public const string SectionName = "Crm:Cluster";
    public const string ConnectionStringPath = "ConnectionStrings:Crm";

    /// <summary><c>Crm:Cluster:Provider</c>: <c>None</c> (single node, SQLite) or <c>PostgreSql</c>.</summary>
    public ClusterProvider Provider { get; init; }

    /// <summary><c>ConnectionStrings:Crm</c>: the Npgsql connection string of the shared database.</summary>
    public string ConnectionString { get; init; } = "";

    /// <summary><c>Crm:Cluster:ServiceId</c>: stays the same across deployments of one service (grain state is keyed by it).</summary>
    public string ServiceId { get; init; } = "crm";

    /// <summary><c>Crm:Cluster:ClusterId</c>: nodes with the same id form one cluster.</summary>
    public string ClusterId { get; init; } = "crm";

    /// <summary><c>Crm:Cluster:OrleansSchema</c>: the PostgreSQL schema of Orleans' membership and grain-state tables.</summary>
    public string OrleansSchema { get; init; } = "orleans";

    /// <summary><c>Crm:Silo:Port</c>: the silo-to-silo port (default 11111 in cluster mode).</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary><c>Crm:Silo:GatewayPort</c>: the port for Orleans clients; 0 for none (the default: clients use HTTP).</summary>
    public int GatewayPort { get; init; }

    /// <summary><c>Crm:Silo:AdvertisedIP</c>: the address other nodes reach this one at; the host's first address when unset.</summary>
    public IPAddress? AdvertisedIP { get; init; }

    /// <summary><c>Crm:Silo:ListenOnAnyAddress</c>: bind the silo ports on every interface, not only the advertised address (containers).</summary>
    public bool ListenOnAnyAddress { get; init; }

    public static CrmClusterOptions Bind(IConfiguration configuration)
    {
        var cluster = configuration.GetSection(SectionName);
        var silo = configuration.GetSection("Crm:Silo");
        return new CrmClusterOptions
        {
            Provider = Parse(cluster["Provider"], SectionName + ":Provider", ClusterProvider.None),
            ConnectionString = configuration[ConnectionStringPath] ?? "",
            ServiceId = cluster["ServiceId"] ?? "crm",
            ClusterId = cluster["ClusterId"] ?? "crm",
            OrleansSchema = cluster["OrleansSchema"] ?? "orleans",
            SiloPort = ParsePort(silo["Port"], "Crm:Silo:Port", 11111),
            GatewayPort = ParsePort(silo["GatewayPort"], "Crm:Silo:GatewayPort", 0),
            AdvertisedIP = silo["AdvertisedIP"] is { Length: > 0 } ip
                ? IPAddress.TryParse(ip, out var address) ? address : throw Invalid("Crm:Silo:AdvertisedIP", $"'{ip}' is not an IP address")
                : null,
            ListenOnAnyAddress = silo["ListenOnAnyAddress"] is { Length: > 0 } any
                ? bool.TryParse(any, out var b) ? b : throw Invalid("Crm:Silo:ListenOnAnyAddress", $"'{any}' is not true or false")
                : false,
        };
    }

    /// <summary>Throws naming the configuration path of the first invalid option (cluster mode only).</summary>
    public void Validate()
    {
        if (Provider == ClusterProvider.None) return;
        if (string.IsNullOrWhiteSpace(ConnectionString)) throw Invalid(ConnectionStringPath, "must be set when Crm:Cluster:Provider is PostgreSql");
        try
        {
            _ = new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw Invalid(ConnectionStringPath, "is not a valid PostgreSQL connection string: " + ex.Message);
        }

        if (!IsIdentifier(ServiceId, 150)) throw Invalid(SectionName + ":ServiceId", "must be 1-150 letters, digits, '-', '_' or '.'");
        if (!IsIdentifier(ClusterId, 150)) throw Invalid(SectionName + ":ClusterId", "must be 1-150 letters, digits, '-', '_' or '.'");
        if (!IsSchemaName(OrleansSchema)) throw Invalid(SectionName + ":OrleansSchema", "must be a lower-case identifier of letters, digits and '_', up to 48 characters");
        if (SiloPort == 0) throw Invalid("Crm:Silo:Port", "must be a port number (1-65535) in cluster mode");
        if (GatewayPort == SiloPort) throw Invalid("Crm:Silo:GatewayPort", "must differ from Crm:Silo:Port");
    }

    /// <summary>The connection string Orleans' providers use: the same database, their own schema.</summary>
    public string OrleansConnectionString => new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = OrleansSchema }.ConnectionString;

    private static ClusterProvider Parse(string? value, string path, ClusterProvider fallback) =>
        string.IsNullOrWhiteSpace(value) ? fallback
        : Enum.TryParse<ClusterProvider>(value, ignoreCase: true, out var p) && Enum.IsDefined(p) ? p
        : throw Invalid(path, $"'{value}' is not one of: {string.Join(", ", Enum.GetNames<ClusterProvider>())}");

    private static int ParsePort(string? value, string path, int fallback) =>
        string.IsNullOrWhiteSpace(value) ? fallback
        : int.TryParse(value, out var port) && port is >= 0 and <= 65535 ? port
        : throw Invalid(path, $"'{value}' is not a port number (0-65535)");

    private static bool IsIdentifier(string value, int maxLength) =>
        value.Length is > 0 && value.Length <= maxLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static bool IsSchemaName(string value) =>
        value.Length is > 0 and <= 48 && (char.IsAsciiLetterLower(value[0]) || value[0] == '_') &&
        value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');

    private static InvalidOperationException Invalid(string path, string message) => new($"{path} {message}.");
}

/// <summary>Where the cluster keeps its shared state.</summary>
internal enum ClusterProvider
{
    /// <summary>No cluster: one node, SQLite under <c>Crm:DataPath</c>.</summary>
    None,

    /// <summary>Every node shares one PostgreSQL database.</summary>
    PostgreSql,
}
