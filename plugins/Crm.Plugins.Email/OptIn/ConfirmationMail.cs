using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid;
using Fluid.Values;

namespace Crm.Plugins.Email.OptIn;

/// <summary>The confirmation mail's subject and bodies, filled in from the <c>OptIn</c> Liquid templates.</summary>
internal sealed class ConfirmationMail(EmailSettings settings)
{
    private static readonly FluidParser Parser = new();
    private static readonly TemplateOptions Options = new() { MaxSteps = 100_000, MaxRecursion = 32 };

    public (string Subject, string Body, string? Html) Render(JsonObject contact, string purpose, string link)
    {
        var o = settings.Options.OptIn;
        var context = new TemplateContext(Options);
        context.SetValue("contact", ToValue(contact));
        context.SetValue("purpose", StringValue.Create(purpose));
        context.SetValue("link", StringValue.Create(link));
        return (Render(o.Subject, context).ReplaceLineEndings(" ").Trim(), Render(o.Body, context), o.Html is null ? null : Render(o.Html, context));
    }

    // The templates were checked at start-up (EmailOptionsValidation).
    private static string Render(string template, TemplateContext context) => Parser.Parse(template).Render(context);

    private static FluidValue ToValue(JsonNode? node) => node switch
    {
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
