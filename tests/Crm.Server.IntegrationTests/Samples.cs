using System.Text.Json.Nodes;

namespace Crm.Server.IntegrationTests;

/// <summary>A valid record of each resource, and a change that is valid for it.</summary>
public static class Samples
{
    public static IEnumerable<TheoryDataRow<string>> Resources => Crm.Engine.Client.CrmHttpClient.ResourceNames.Select(r => new TheoryDataRow<string>(r));

    public static JsonObject NewRecord(string resource, string? tag = null)
    {
        var u = tag ?? Guid.NewGuid().ToString("N")[..8];
        return resource switch
        {
            "contacts" => new() { ["firstName"] = "Ada", ["lastName"] = "Lovelace", ["email"] = $"ada.{u}@example.com" },
            "accounts" => new() { ["name"] = "Analytical Engines " + u, ["domain"] = $"ae-{u}.example.com" },
            "deals" => new() { ["name"] = "Difference engine " + u, ["amount"] = 1200.5m },
            "cases" => new() { ["subject"] = "Bernoulli numbers are off " + u },
            "interactions" => new() { ["kind"] = "note", ["subject"] = "Met at the salon " + u },
            "tasks" => new() { ["title"] = "Send the notes " + u },
            "users" => new() { ["name"] = "Charles " + u, ["email"] = $"charles.{u}@example.com", ["role"] = "agent" },
            "teams" => new() { ["name"] = "Team " + u },
            "queues" => new() { ["name"] = "Queue " + u },
            _ => throw new ArgumentOutOfRangeException(nameof(resource)),
        };
    }

    /// <summary>A field to change and its new value.</summary>
    public static (string Field, JsonNode Value) Change(string resource) => resource switch
    {
        "contacts" => ("title", "Countess"),
        "accounts" => ("industry", "Machinery"),
        "deals" => ("amount", 2400m),
        "cases" => ("priority", "high"),
        "interactions" => ("subject", "Followed up"),
        "tasks" => ("notes", "Both volumes"),
        "users" => ("name", "Charles Babbage"),
        "teams" => ("description", "The engine team"),
        "queues" => ("description", "First line"),
        _ => throw new ArgumentOutOfRangeException(nameof(resource)),
    };

    /// <summary>The record type name the engine uses for a resource.</summary>
    public static string TypeOf(string resource) => resource switch
    {
        "contacts" => "contact",
        "accounts" => "account",
        "deals" => "deal",
        "cases" => "case",
        "interactions" => "interaction",
        "tasks" => "task",
        "users" => "user",
        "teams" => "team",
        "queues" => "queue",
        _ => throw new ArgumentOutOfRangeException(nameof(resource)),
    };
}
