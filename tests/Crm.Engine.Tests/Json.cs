using System.Text.Json.Nodes;

namespace Crm.Engine.Tests;

internal static class Json
{
    public static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();
}
