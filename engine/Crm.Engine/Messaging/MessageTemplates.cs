using System.Text.Json.Nodes;
using Fluid;
using Fluid.Values;

namespace Crm.Engine.Messaging;

/// <summary>Fills in a message's Liquid templates with the contact's fields and the request's data.</summary>
internal static class MessageTemplates
{
    private static readonly FluidParser Parser = new();
    // Fluid reads JSON objects, arrays and values as they are; no CLR member is reachable from a template.
    private static readonly TemplateOptions Options = new() { MaxSteps = 100_000, MaxRecursion = 32 };

    /// <summary>The rendered text, or <see cref="ValidationException"/> on <paramref name="field"/> when the template does not parse or render.</summary>
    public static string? Render(string? template, string field, JsonObject contact, JsonObject data, int maxLength)
    {
        if (template is null) return null;
        if (!Parser.TryParse(template, out var parsed, out var error)) throw new ValidationException(field, "is not a valid Liquid template: " + error);
        var context = new TemplateContext(Options);
        context.SetValue("contact", FluidValue.Create(contact, Options));
        context.SetValue("data", FluidValue.Create(data, Options));
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
}
