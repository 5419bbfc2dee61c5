using System.Text.Json.Nodes;
using Crm.Engine;

namespace Crm.Plugins.Sms;

/// <summary>
/// A text from a phone: STOP (and its usual synonyms) withdraws every SMS consent of the contacts with that number
/// and puts the number on the suppression list, so nothing more is sent to it even before it is matched to anyone;
/// START takes it off the list again. Anything else is logged as an inbound SMS on the contact's timeline.
/// </summary>
internal sealed class InboundSms(ICrmClient crm, TimeProvider time)
{
    private static readonly Actor Actor = new(ActorKind.Plugin, "Sms");
    private static readonly HashSet<string> Stop = new(StringComparer.OrdinalIgnoreCase) { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT" };
    private static readonly HashSet<string> Start = new(StringComparer.OrdinalIgnoreCase) { "START", "UNSTOP", "YES" };

    public async Task<string> HandleAsync(string tenant, string from, string text, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(from)) throw new ValidationException("from", "is required");
        var client = crm.ForTenant(tenant, Actor);
        var contacts = (await client.QueryAsync(RecordTypes.Contact, new RecordQuery { Filter = Filter.Eq("phone", from.Trim()), Limit = 100 }, cancellationToken)).Items;
        var keyword = text.Trim();
        var now = time.GetUtcNow();
        if (Stop.Contains(keyword))
        {
            var purposes = (await client.GetSettingsAsync(cancellationToken: cancellationToken)).ConsentPurposes;
            foreach (var contact in contacts)
            {
                foreach (var purpose in purposes)
                {
                    await client.SetConsentAsync(contact.Id, new ConsentChange
                    {
                        Purpose = purpose.Name,
                        Channel = Channels.Sms,
                        Address = from,
                        Status = ConsentStatus.Withdrawn,
                        Source = "SMS STOP",
                        Proof = $"\"{keyword}\" from {from} at {now:O}",
                        At = now,
                    }, cancellationToken: cancellationToken);
                }
            }

            await client.Messages.SuppressAsync(Channels.Sms, from, $"STOP reply at {now:O}", cancellationToken: cancellationToken);
            return "stopped";
        }

        if (Start.Contains(keyword))
        {
            await client.Messages.UnsuppressAsync(Channels.Sms, from, cancellationToken: cancellationToken);
            return "started";
        }

        foreach (var contact in contacts.Take(1))
        {
            var interaction = await client.CreateAsync(RecordTypes.Interaction, new JsonObject
            {
                ["kind"] = "sms", ["direction"] = "inbound", ["channel"] = Channels.Sms,
                ["subject"] = "SMS from " + from, ["body"] = text, ["occurredAt"] = now.UtcDateTime.ToString("O"),
            }, cancellationToken: cancellationToken);
            await client.LinkAsync(RecordTypes.Interaction, interaction.Id, new RecordLink(RecordTypes.Contact, contact.Id), cancellationToken: cancellationToken);
        }

        return contacts.Count > 0 ? "logged" : "unknown sender";
    }
}
