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
        context.SetValue("contact", FluidValue.Create(contact, Options));
        context.SetValue("purpose", StringValue.Create(purpose));
        context.SetValue("link", StringValue.Create(link));
        return (Render(o.Subject, context).ReplaceLineEndings(" ").Trim(), Render(o.Body, context), o.Html is null ? null : Render(o.Html, context));
    }

    // The templates were checked at start-up (EmailOptionsValidation).
    private static string Render(string template, TemplateContext context) => Parser.Parse(template).Render(context);
}
