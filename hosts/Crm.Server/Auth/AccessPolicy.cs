using Crm.Engine;
using Crm.Engine.Access;

namespace Crm.Server.Auth;

/// <summary>
/// The role × resource × ownership matrix (docs/security.md). Agents work on records they own (or that nobody owns);
/// every read path asks <see cref="CanSee"/> or adds <see cref="Scope"/> to its query.
/// </summary>
internal static class AccessPolicy
{
    private static readonly HashSet<string> WorkRecords =
        [RecordTypes.Contact, RecordTypes.Account, RecordTypes.Deal, RecordTypes.Case, RecordTypes.Interaction, RecordTypes.Task];

    /// <summary>The field that says who owns a record of <paramref name="type"/>, if ownership applies.</summary>
    public static string? OwnerField(string type) => type switch
    {
        RecordTypes.Contact or RecordTypes.Account or RecordTypes.Deal or RecordTypes.Interaction => "ownerId",
        RecordTypes.Case or RecordTypes.Task => "assigneeId",
        _ => null,
    };

    /// <summary>May the caller read records of this type at all?</summary>
    public static bool CanRead(CrmPrincipal p, string type) => true;

    /// <summary>May the caller create, change or delete records of this type (ownership checked separately)?</summary>
    public static bool CanWrite(CrmPrincipal p, string type) => p.Role switch
    {
        CrmRole.Admin => true,
        CrmRole.Manager => type != RecordTypes.User,
        CrmRole.Agent => WorkRecords.Contains(type),
        _ => false,
    };

    /// <summary>Is the caller limited to records it owns?</summary>
    public static bool IsOwnershipScoped(CrmPrincipal p, string type) => p.Role == CrmRole.Agent && OwnerField(type) is not null;

    /// <summary>May the caller see this record?</summary>
    public static bool CanSee(CrmPrincipal p, CrmRecord record)
    {
        if (!IsOwnershipScoped(p, record.Type)) return true;
        var owner = record.GetString(OwnerField(record.Type)!);
        return owner is null || owner == p.UserId;
    }

    /// <summary>The filter a query of the caller must be limited by, or null.</summary>
    public static Filter? Scope(CrmPrincipal p, string type)
    {
        if (!IsOwnershipScoped(p, type)) return null;
        var field = OwnerField(type)!;
        return Filter.Eq(field, p.UserId) | !Filter.Compare(field, FilterOperator.Exists, null);
    }

    /// <summary>May the caller change tenant settings, users and keys?</summary>
    public static bool IsAdmin(CrmPrincipal p) => p.Role == CrmRole.Admin;
}
