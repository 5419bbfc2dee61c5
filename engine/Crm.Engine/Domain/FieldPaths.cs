using System.Text.Json.Nodes;

namespace Crm.Engine.Domain;

/// <summary>Dotted field paths (<c>firstName</c>, <c>custom.region</c>) over a record's JSON fields.</summary>
public static class FieldPaths
{
    /// <summary>Sets (or with null, removes) the value at <paramref name="path"/>; empty parent objects are removed.</summary>
    public static void Set(JsonObject fields, string path, JsonNode? value)
    {
        var dot = path.IndexOf('.');
        if (dot < 0)
        {
            if (value is null) fields.Remove(path);
            else fields[path] = value;
            return;
        }

        var head = path[..dot];
        if (fields[head] is not JsonObject child)
        {
            if (value is null) return;
            child = [];
            fields[head] = child;
        }

        Set(child, path[(dot + 1)..], value);
        if (child.Count == 0) fields.Remove(head);
    }

    /// <summary>The value at <paramref name="path"/>, or null.</summary>
    public static JsonNode? Get(JsonObject fields, string path)
    {
        JsonNode? node = fields;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
            if (node is null) return null;
        }

        return node;
    }
}
