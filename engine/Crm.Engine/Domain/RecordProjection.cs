using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine.Storage;

namespace Crm.Engine.Domain;

/// <summary>Builds what readers get from a record's state: the public record and the read-model row.</summary>
public static class RecordProjection
{
    /// <summary>The record as callers see it.</summary>
    public static CrmRecord ToRecord(RecordState state, TenantSettings settings) => new()
    {
        Id = state.Id,
        Type = state.Type,
        Version = state.Version,
        Deleted = state.Deleted,
        CreatedAt = state.CreatedAt,
        UpdatedAt = state.UpdatedAt,
        FieldsJson = state.ViewJson(settings),
        Links = [.. state.Links],
        MergedInto = state.MergedInto,
    };

    /// <summary>The read-model row written with the events.</summary>
    public static RecordRow ToRow(RecordState state, CrmRecord record) => new()
    {
        Type = state.Type,
        Id = state.Id,
        Version = state.Version,
        Deleted = state.Deleted,
        CreatedAt = state.CreatedAt,
        UpdatedAt = state.UpdatedAt,
        DataJson = record.FieldsJson,
        SearchText = SearchText(state),
        // A deleted record gives up its unique values so they can be used again; a restore claims them anew.
        UniqueClaims = state.Deleted ? [] : UniqueClaims(state),
        Links = [.. state.Links],
    };

    /// <summary>The uniqueness claims of a record: normalised emails (contacts, users) and external ids.</summary>
    public static IReadOnlyList<UniqueClaim> UniqueClaims(RecordState state)
    {
        var keys = new List<UniqueClaim>();
        foreach (var spec in RecordSchema.For(state.Type).Unique)
        {
            switch (state.Fields[spec.Name])
            {
                case JsonValue v:
                    keys.Add(new UniqueClaim($"{state.Type}.{spec.Name}", v.GetValue<string>()));
                    break;
                case JsonArray a:
                    // Every address in a list is claimed under the singular field name (emails → email).
                    var singular = spec.Name.TrimEnd('s');
                    keys.AddRange(a.Select(n => new UniqueClaim($"{state.Type}.{singular}", n!.GetValue<string>())));
                    break;
            }
        }

        return keys.Count <= 1 ? keys : [.. keys.Distinct()];
    }

    /// <summary>Words to index for full-text search.</summary>
    public static string SearchText(RecordState state)
    {
        var text = new StringBuilder();
        foreach (var spec in RecordSchema.For(state.Type).Searchable)
        {
            if (spec.Name is "email" or "phone") continue; // covered by the lists, or searched below
            switch (state.Fields[spec.Name])
            {
                case JsonValue v:
                    Append(text, spec.Kind, v.GetValue<string>());
                    break;
                case JsonArray a:
                    foreach (var n in a) Append(text, spec.Kind, n!.GetValue<string>());
                    break;
            }
        }

        if (state.Type is not RecordTypes.Contact)
        {
            if (state.Fields["email"] is JsonValue e) Append(text, FieldKind.Email, e.GetValue<string>());
            if (state.Fields["phone"] is JsonValue p) Append(text, FieldKind.Phone, p.GetValue<string>());
        }

        return text.ToString().TrimEnd();
    }

    private static void Append(StringBuilder text, FieldKind kind, string value)
    {
        if (kind is FieldKind.Phone or FieldKind.PhoneList)
        {
            foreach (var term in ContactPoints.PhoneSearchTerms(value)) text.Append(term).Append(' ');
        }
        else
        {
            text.Append(value).Append(' ');
        }
    }
}
