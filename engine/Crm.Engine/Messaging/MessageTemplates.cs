using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid;
using Fluid.Values;

namespace Crm.Engine.Messaging;

/// <summary>Fills in a message's Liquid templates with the contact's fields and the request's data.</summary>
internal static class MessageTemplates
{
    private static readonly FluidParser Parser = new();
    private static readonly TemplateOptions Options = CreateOptions();

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions { MaxSteps = 100_000, MaxRecursion = 32 };
        options.MemberAccessStrategy = new UnsafeMemberAccessStrategy();
        return options;
    }

    /// <summary>The rendered text, or <see cref="ValidationException"/> on <paramref name="field"/> when the template does not parse or render.</summary>
    public static string? Render(string? template, string field, JsonObject contact, JsonObject data, int maxLength)
    {
        if (template is null) return null;
        if (!Parser.TryParse(template, out var parsed, out var error)) throw new ValidationException(field, "is not a valid Liquid template: " + error);
        var context = new TemplateContext(Options);
        context.SetValue("contact", ToValue(contact));
        context.SetValue("data", ToValue(data));
        string text;
        try
        {
            text = parsed.Render(context);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ParseException or ArgumentException)
        {
            throw new ValidationException(field, "could not be filled in: " + ex.Message);
        }

        return text.Length <= maxLength ? text : throw new ValidationException(field, $"is longer than {maxLength} characters once filled in");
    }

    private static FluidValue ToValue(JsonNode? node) => node switch
    {
        null => NilValue.Instance,
        JsonObject o => new DictionaryValue(new ObjectDictionaryFluidIndexable<FluidValue>(o.ToDictionary(p => p.Key, p => ToValue(p.Value)), Options)),
        JsonArray a => new ArrayValue(a.Select(ToValue).ToArray()),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => StringValue.Create(v.GetValue<string>()),
            JsonValueKind.Number => NumberValue.Create(v.GetValue<decimal>()),
            JsonValueKind.True => BooleanValue.True,
            JsonValueKind.False => BooleanValue.False,
            _ => NilValue.Instance,
        },
        _ => NilValue.Instance,
    };
}
