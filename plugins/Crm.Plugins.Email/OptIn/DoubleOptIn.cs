using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Messaging;
using Crm.Plugins.Email.Outbound;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Crm.Plugins.Email.OptIn;

/// <summary>What asking for a double opt-in came to.</summary>
internal abstract record OptInRequestResult
{
    /// <summary>The consent is pending and the confirmation mail went out.</summary>
    public sealed record Sent(string MessageId, string Address) : OptInRequestResult;

    /// <summary>The contact had confirmed already: no mail.</summary>
    public sealed record AlreadyGranted(string Address) : OptInRequestResult;
}

/// <summary>What opening a confirmation link came to.</summary>
internal enum OptInConfirmation
{
    /// <summary>Forged, altered or malformed: nothing happens.</summary>
    Invalid,

    /// <summary>Older than <see cref="OptInOptions.LinkLifetime"/>.</summary>
    Expired,

    /// <summary>The pending consent is now granted.</summary>
    Confirmed,

    /// <summary>It was granted before (a second click): nothing changes.</summary>
    AlreadyConfirmed,

    /// <summary>Nothing is pending for this link any more (withdrawn since, asked again with a newer link, or the contact is gone): nothing changes.</summary>
    NothingPending,
}

/// <summary>The confirmation mail could not be sent; the consent stays pending.</summary>
internal sealed class OptInMailFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>The address is on the tenant's suppression list: no confirmation mail is sent to it.</summary>
internal sealed class OptInSuppressedException(string address, string reason) : Exception($"{address} is on the suppression list: {reason}");

/// <summary>
/// Double opt-in. Asking records the consent as <c>pending</c> (source <c>double opt-in</c>) — which still means no —
/// and sends a confirmation mail with a signed link straight through the plugin's SMTP client: the consent-checked
/// outbound path would rightly refuse it while the consent is pending. The mail is logged on the contact's timeline as
/// an outbound interaction. Opening the link turns pending into granted (source <c>double opt-in confirmed</c>, the
/// mail's id as proof), once.
/// </summary>
internal sealed partial class DoubleOptIn(
    ICrmClient root,
    EmailSettings settings,
    ConfirmationLinks links,
    ConfirmationMail template,
    SmtpDelivery smtp,
    TimeProvider time,
    ILogger<DoubleOptIn> logger)
{
    public const string RequestSource = "double opt-in";
    public const string ConfirmSource = "double opt-in confirmed";

    public bool Enabled => links.Enabled;

    public async Task<OptInRequestResult> RequestAsync(string tenant, Actor actor, string contactId, string purpose, string? address, CancellationToken cancellationToken)
    {
        var crm = root.ForTenant(tenant, actor);
        var contact = await crm.GetAsync(RecordTypes.Contact, contactId, cancellationToken: cancellationToken)
            ?? throw new RecordNotFoundException(RecordTypes.Contact, contactId);
        var fields = contact.Fields;
        var to = address is null ? contact.GetString("email") : address.Trim().ToLowerInvariant();
        if (to is null) throw new ValidationException("address", "is required: the contact has no e-mail address");
        var own = (fields["emails"] as JsonArray)?.Select(e => (string?)e).ToList() ?? [];
        if (!own.Contains(to) && contact.GetString("email") != to) throw new ValidationException("address", $"'{to}' is not one of the contact's e-mail addresses");

        var current = await crm.MayContactAsync(contactId, to, purpose, Engine.Channels.Email, cancellationToken: cancellationToken);
        if (current.Status == ConsentStatus.Granted) return new OptInRequestResult.AlreadyGranted(to);
        var suppressed = (await crm.Messages.GetSuppressionsAsync(Engine.Channels.Email, cancellationToken)).FirstOrDefault(s => s.Address == to);
        if (suppressed is not null) throw new OptInSuppressedException(to, suppressed.Reason);

        var now = time.GetUtcNow();
        var messageId = "optin-" + Guid.CreateVersion7(now).ToString("N");
        await crm.SetConsentAsync(contactId, new ConsentChange
        {
            Purpose = purpose,
            Channel = Engine.Channels.Email,
            Address = to,
            Status = ConsentStatus.Pending,
            Source = RequestSource,
            Proof = $"Confirmation mail {messageId} sent to {to}",
            At = now,
        }, new WriteOptions { CausationId = messageId }, cancellationToken);

        var link = links.Url(new OptInToken(tenant, contactId, purpose, to, messageId, now));
        fields["id"] = contact.Id;
        var (subject, body, html) = template.Render(fields, purpose, link);
        var sender = settings.ForTenant(tenant);
        var mail = new MimeMessage();
        mail.From.Add(sender.From);
        if (sender.ReplyTo is not null) mail.ReplyTo.Add(sender.ReplyTo);
        mail.To.Add(new MailboxAddress(null, to));
        mail.Subject = subject;
        mail.MessageId = MessageIds.ToHeader(messageId, sender.MessageIdDomain);
        mail.Date = now;
        mail.Headers.Add("Auto-Submitted", "auto-generated");
        mail.Body = new BodyBuilder { TextBody = body, HtmlBody = html }.ToMessageBody();
        try
        {
            await smtp.SendAsync(mail, sender, cancellationToken);
        }
        catch (PermanentDeliveryException ex)
        {
            if (ex.SuppressAddress) await crm.Messages.SuppressAsync(Engine.Channels.Email, to, "undeliverable: " + ex.Message, null, cancellationToken);
            throw new OptInMailFailedException($"The confirmation mail to {to} was refused: {ex.Message}", ex);
        }
        catch (SmtpDeliveryException ex)
        {
            throw new OptInMailFailedException($"The confirmation mail to {to} could not be sent: {ex.Message}", ex);
        }

        EmailMetrics.Sent();
        var interactionId = StableIds.Record("mail", tenant, "opt-in", messageId);
        var write = new WriteOptions { CausationId = messageId, EffectKey = StableIds.Effect(tenant, "opt-in/interaction", messageId) };
        await crm.CreateAsync(RecordTypes.Interaction, new JsonObject
        {
            ["kind"] = "email",
            ["direction"] = "outbound",
            ["channel"] = Engine.Channels.Email,
            ["messageId"] = messageId,
            ["subject"] = subject.Length <= 500 ? subject : subject[..500],
            ["body"] = body.Length <= 100_000 ? body : body[..100_000],
            ["occurredAt"] = now.ToString("O", CultureInfo.InvariantCulture),
        }, interactionId, write, cancellationToken);
        await crm.LinkAsync(RecordTypes.Interaction, interactionId, new RecordLink(RecordTypes.Contact, contactId),
            write with { EffectKey = StableIds.Effect(tenant, "opt-in/interaction/contact", messageId) }, cancellationToken);
        LogRequested(logger, contactId, purpose, tenant, messageId);
        return new OptInRequestResult.Sent(messageId, to);
    }

    public async Task<(OptInConfirmation Outcome, OptInToken? Token)> ConfirmAsync(string token, CancellationToken cancellationToken)
    {
        if (links.Read(token) is not { } t) return (OptInConfirmation.Invalid, null);
        if (time.GetUtcNow() - t.IssuedAt > settings.Options.OptIn.LinkLifetime) return (OptInConfirmation.Expired, t);

        var crm = root.ForTenant(t.Tenant, EmailPlugin.Actor);
        ConsentDecision current;
        try
        {
            current = await crm.MayContactAsync(t.ContactId, t.Address, t.Purpose, Engine.Channels.Email, cancellationToken: cancellationToken);
        }
        catch (CrmException)
        {
            // The contact, or the purpose, is gone.
            return (OptInConfirmation.NothingPending, t);
        }

        switch (current.Status)
        {
            case ConsentStatus.Granted:
                return (OptInConfirmation.AlreadyConfirmed, t);
            case ConsentStatus.Pending when current.DecidingEntry?.Proof?.Contains(t.MessageId, StringComparison.Ordinal) == true:
                // Only the link of the latest request confirms, so the proof names the mail the contact answered.
                await crm.SetConsentAsync(t.ContactId, new ConsentChange
                {
                    Purpose = t.Purpose,
                    Channel = Engine.Channels.Email,
                    Address = t.Address,
                    Status = ConsentStatus.Granted,
                    Source = ConfirmSource,
                    Proof = $"Confirmation link of mail {t.MessageId}",
                }, new WriteOptions { CausationId = t.MessageId, EffectKey = StableIds.Effect(t.Tenant, "opt-in/confirm", t.MessageId) }, cancellationToken);
                LogConfirmed(logger, t.ContactId, t.Purpose, t.Tenant, t.MessageId);
                return (OptInConfirmation.Confirmed, t);
            default:
                return (OptInConfirmation.NothingPending, t);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Double opt-in asked of contact {ContactId} for {Purpose} in tenant {Tenant} (mail {MessageId})")]
    private static partial void LogRequested(ILogger logger, string contactId, string purpose, string tenant, string messageId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Double opt-in confirmed by contact {ContactId} for {Purpose} in tenant {Tenant} (mail {MessageId})")]
    private static partial void LogConfirmed(ILogger logger, string contactId, string purpose, string tenant, string messageId);
}
