using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine;

namespace Crm.Plugins.WebForms;

/// <summary>
/// Turns a form post into a contact: created, or updated when one has the email already (race-safe: two posts with
/// one email make one contact), the consent the visitor ticked recorded with the form's exact text as proof, and the
/// submission logged as a form interaction on the contact's timeline.
/// </summary>
internal sealed class FormSubmissions(ICrmClient crm, TimeProvider time)
{
    public const string PluginName = "WebForms";
    private static readonly Actor Actor = new(ActorKind.Plugin, PluginName);
    private static readonly string[] Yes = ["on", "true", "yes", "1"];

    /// <summary>The stored form, or null.</summary>
    public async Task<WebForm?> FindFormAsync(string tenant, string formId) =>
        WebForm.IsValidId(formId) && await crm.ForTenant(tenant, Actor).PluginData(PluginName).GetAsync("form:" + formId) is { } stored
            ? WebForm.FromJson(stored)
            : null;

    /// <summary>Stores the submission; answers the contact's id.</summary>
    public async Task<string> SubmitAsync(string tenant, WebForm form, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken)
    {
        var email = values.GetValueOrDefault("email")?.Trim();
        if (string.IsNullOrEmpty(email)) throw new ValidationException("email", "is required");
        var fields = new JsonObject();
        foreach (var field in form.Fields)
        {
            if (values.TryGetValue(field, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                if (value.Length > 500) throw new ValidationException(field, "must be at most 500 characters");
                fields[field] = value.Trim();
            }
        }

        var client = crm.ForTenant(tenant, Actor);
        var contact = await UpsertAsync(client, tenant, email, fields, form, cancellationToken);
        var now = time.GetUtcNow();
        if (form.ConsentPurpose is not null && values.TryGetValue("consent", out var ticked) && Yes.Contains(ticked.Trim().ToLowerInvariant()))
        {
            await client.SetConsentAsync(contact.Id, new ConsentChange
            {
                Purpose = form.ConsentPurpose,
                Channel = Channels.Email,
                Address = email,
                Status = ConsentStatus.Granted,
                LawfulBasis = LawfulBasis.Consent,
                Source = "web form " + form.Id,
                Proof = $"Ticked \"{form.ConsentText}\" on the form \"{form.Name}\" ({form.Id}) at {now:O}.",
                At = now,
            }, cancellationToken: cancellationToken);
        }

        var submitted = new JsonObject();
        foreach (var (key, value) in values.Where(v => form.Fields.Contains(v.Key) || v.Key == "consent")) submitted[key] = value;
        var interaction = await client.CreateAsync(RecordTypes.Interaction, new JsonObject
        {
            ["kind"] = "form",
            ["direction"] = "inbound",
            ["channel"] = "web",
            ["subject"] = "Form: " + form.Name,
            ["body"] = submitted.ToJsonString(),
            ["occurredAt"] = now.UtcDateTime.ToString("O"),
        }, cancellationToken: cancellationToken);
        await client.LinkAsync(RecordTypes.Interaction, interaction.Id, new RecordLink(RecordTypes.Contact, contact.Id), cancellationToken: cancellationToken);
        return contact.Id;
    }

    private static async Task<CrmRecord> UpsertAsync(ICrmClient client, string tenant, string email, JsonObject fields, WebForm form, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var existing = await client.FindAsync(RecordTypes.Contact, "email", email, cancellationToken);
            if (existing is not null) return await client.UpdateAsync(RecordTypes.Contact, existing.Id, Patch(existing, fields, form), cancellationToken: cancellationToken);
            try
            {
                var created = (JsonObject)fields.DeepClone();
                created["source"] = "web form " + form.Id;
                if (form.Tags.Count > 0) created["tags"] = new JsonArray([.. form.Tags.Select(t => (JsonNode)t)]);
                // Two posts racing with one email derive one id: the second finds the first instead of a duplicate.
                return await client.CreateAsync(RecordTypes.Contact, created, ContactId(tenant, email), cancellationToken: cancellationToken);
            }
            catch (CrmException ex) when (ex is RecordExistsException or DuplicateRecordException && attempt < 3)
            {
            }
        }
    }

    private static JsonObject Patch(CrmRecord existing, JsonObject fields, WebForm form)
    {
        var patch = (JsonObject)fields.DeepClone();
        patch.Remove("email"); // found by it; writing it again would reorder the contact's addresses
        var tags = (existing.Fields["tags"] as JsonArray)?.Select(t => (string)t!).ToList() ?? [];
        if (form.Tags.Any(t => !tags.Contains(t)))
        {
            patch["tags"] = new JsonArray([.. tags.Union(form.Tags).Select(t => (JsonNode)t)]);
        }

        return patch;
    }

    private static string ContactId(string tenant, string email)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(tenant + "\n" + email.Trim().ToLowerInvariant()));
        return "wf-" + Convert.ToHexStringLower(hash)[..40];
    }
}
