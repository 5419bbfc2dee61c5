using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Engine;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Crm.Plugins.Email.Inbound;

/// <summary>What became of one mail read from a mailbox.</summary>
internal enum InboundOutcome
{
    /// <summary>A bounce: its failed recipients went on the suppression list.</summary>
    Bounce,

    /// <summary>Logged as an interaction on its contact and/or case.</summary>
    Logged,

    /// <summary>Opened a case (and was logged on it).</summary>
    CaseOpened,

    /// <summary>From no known contact, about no case, not to the support address: left alone.</summary>
    Ignored,
}

/// <summary>
/// Takes one mail into the CRM. A bounce suppresses its failed recipients. Any other mail is logged as an inbound
/// email interaction on the contact with the sender's address, and on the case it is about — named in the subject
/// (<see cref="CaseReference"/>) or reached through its thread (<c>In-Reply-To</c>, <c>References</c>: the Message-ID
/// of an interaction linked to a case). Mail to the mailbox's support address about no case opens one, creating the
/// contact when the sender is unknown. Every record it makes has an id, and every write an effect key, derived from
/// (tenant, mailbox, Message-ID): reading the same mail again changes nothing.
/// </summary>
internal sealed partial class InboundMail(ICrmClient root, EmailSettings settings, TimeProvider time, ILogger<InboundMail> logger)
{
    private const int MaxSubject = 500;
    private const int MaxBody = 100_000;
    private const int MaxThreadIds = 20;

    /// <summary>Takes one mail in; <paramref name="fallbackKey"/> identifies it when it has no Message-ID (mailbox, UIDVALIDITY and UID).</summary>
    public async Task<InboundOutcome> TakeAsync(MailboxOptions mailbox, MimeMessage message, string fallbackKey, CancellationToken cancellationToken)
    {
        var tenant = mailbox.Tenant!;
        var crm = root.ForTenant(tenant, EmailPlugin.Actor);
        var key = string.IsNullOrWhiteSpace(message.MessageId) ? fallbackKey : message.MessageId;
        var mail = new MailKey(tenant, mailbox.Key, key);

        if (BounceReport.TryRead(message, out var failed))
        {
            foreach (var f in failed)
            {
                try
                {
                    await crm.Messages.SuppressAsync(Engine.Channels.Email, f.Address, f.Reason, mail.Write("suppress/" + f.Address), cancellationToken);
                    LogSuppressed(logger, f.Address, tenant, f.Reason);
                }
                catch (ValidationException ex)
                {
                    // One recipient the engine cannot take (not an address it accepts) does not cost the others.
                    LogNotSuppressed(logger, f.Address, key, ex.Message);
                }
            }

            if (failed.Count == 0) LogBounceWithoutRecipients(logger, key, mailbox.Key);
            return InboundOutcome.Bounce;
        }

        var sender = message.From.Mailboxes.FirstOrDefault() ?? message.Sender;
        var address = sender?.Address is { } a && a.Contains('@') ? MailText.Normalise(a) : null;
        var contactId = address is null ? null : (await crm.FindAsync(RecordTypes.Contact, "email", address, cancellationToken))?.Id;
        var own = settings.ForTenant(tenant);
        var caseId = await CaseOfAsync(crm, message, own.MessageIdDomain, cancellationToken);

        var opened = false;
        if (caseId is null && address is not null && IsToSupport(mailbox, message) && !MailText.IsAutomatic(message)
            && address != MailText.Normalise(own.From.Address) && address != MailText.Normalise(own.Bounce.Address))
        {
            contactId ??= await ContactForAsync(crm, mail, address, sender!.Name, cancellationToken);
            caseId = await OpenCaseAsync(crm, mail, message, contactId, cancellationToken);
            opened = true;
        }

        if (contactId is null && caseId is null)
        {
            LogIgnored(logger, key, mailbox.Key, address);
            return InboundOutcome.Ignored;
        }

        var interactionId = StableIds.Record("mail", tenant, mailbox.Key, key);
        var date = message.Date == DateTimeOffset.MinValue ? time.GetUtcNow() : message.Date;
        try
        {
            await crm.CreateAsync(RecordTypes.Interaction, new JsonObject
            {
                ["kind"] = "email",
                ["direction"] = "inbound",
                ["channel"] = Engine.Channels.Email,
                ["subject"] = Subject(message),
                ["body"] = MailText.Body(message, MaxBody),
                ["occurredAt"] = date.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                ["messageId"] = MailText.Line(key, 500),
            }, interactionId, mail.Write("interaction"), cancellationToken);
        }
        catch (RecordExistsException)
        {
            // Made by an earlier reading of this mail.
        }

        if (contactId is not null)
        {
            await crm.LinkAsync(RecordTypes.Interaction, interactionId, new RecordLink(RecordTypes.Contact, contactId), mail.Write("interaction/contact"), cancellationToken);
        }

        if (caseId is not null)
        {
            await crm.LinkAsync(RecordTypes.Interaction, interactionId, new RecordLink(RecordTypes.Case, caseId), mail.Write("interaction/case"), cancellationToken);
        }

        LogTaken(logger, key, mailbox.Key, interactionId, contactId, caseId);
        return opened ? InboundOutcome.CaseOpened : InboundOutcome.Logged;
    }

    private static bool IsToSupport(MailboxOptions mailbox, MimeMessage message) =>
        mailbox.SupportAddress is { } support && MailText.Recipients(message).Contains(MailText.Normalise(support));

    private static string Subject(MimeMessage message) => MailText.Line(message.Subject, MaxSubject) is { Length: > 0 } s ? s : "(no subject)";

    /// <summary>The case the subject names, or the case of the first interaction its thread headers lead to.</summary>
    private static async Task<string?> CaseOfAsync(ICrmClient crm, MimeMessage message, string ownDomain, CancellationToken cancellationToken)
    {
        if (await ExistingCaseAsync(crm, CaseReference.Find(message.Subject), cancellationToken) is { } named) return named;

        var thread = new List<string>();
        if (!string.IsNullOrWhiteSpace(message.InReplyTo)) thread.Add(message.InReplyTo);
        thread.AddRange(message.References.Reverse());
        foreach (var id in thread.Distinct(StringComparer.Ordinal).Take(MaxThreadIds))
        {
            // Our own mail is logged under the engine's message id; anyone else's under its Message-ID.
            var candidates = MessageIds.FromHeader(id, ownDomain) is { } engineId ? new[] { engineId, id } : [id];
            foreach (var candidate in candidates)
            {
                var page = await crm.QueryAsync(RecordTypes.Interaction, new RecordQuery { Filter = Filter.Eq("messageId", candidate), Limit = 5 }, cancellationToken);
                foreach (var interaction in page.Items)
                {
                    foreach (var link in interaction.Links.Where(l => l.TargetType == RecordTypes.Case))
                    {
                        if (await ExistingCaseAsync(crm, link.TargetId, cancellationToken) is { } linked) return linked;
                    }

                    if (await ExistingCaseAsync(crm, CaseReference.Find(interaction.GetString("subject")), cancellationToken) is { } named2) return named2;
                }
            }
        }

        return null;
    }

    private static async Task<string?> ExistingCaseAsync(ICrmClient crm, string? caseId, CancellationToken cancellationToken) =>
        caseId is not null && await crm.GetAsync(RecordTypes.Case, caseId, cancellationToken: cancellationToken) is { } c ? c.Id : null;

    /// <summary>The contact holding <paramref name="address"/>, created (with the sender's name) when there is none.</summary>
    private static async Task<string> ContactForAsync(ICrmClient crm, MailKey mail, string address, string? name, CancellationToken cancellationToken)
    {
        var id = StableIds.Record("mail-contact", mail.Tenant, address);
        var fields = new JsonObject { ["email"] = address, ["source"] = "email" };
        var (first, last) = SplitName(name);
        if (first is not null) fields["firstName"] = first;
        if (last is not null) fields["lastName"] = last;
        try
        {
            // Keyed by tenant and address, not by mail: two mails from a new sender make one contact.
            return (await crm.CreateAsync(RecordTypes.Contact, fields, id, new WriteOptions { EffectKey = StableIds.Effect(mail.Tenant, "contact", address) }, cancellationToken)).Id;
        }
        catch (DuplicateRecordException ex)
        {
            return ex.ExistingId;
        }
        catch (RecordExistsException)
        {
            return (await crm.FindAsync(RecordTypes.Contact, "email", address, cancellationToken))?.Id
                ?? (await crm.CreateAsync(RecordTypes.Contact, fields, null, null, cancellationToken)).Id;
        }
    }

    private static async Task<string> OpenCaseAsync(ICrmClient crm, MailKey mail, MimeMessage message, string contactId, CancellationToken cancellationToken)
    {
        var id = StableIds.Record("mail-case", mail.Tenant, mail.Mailbox, mail.Key);
        try
        {
            await crm.CreateAsync(RecordTypes.Case, new JsonObject
            {
                ["subject"] = Subject(message),
                ["description"] = MailText.Body(message, MaxBody),
                ["contactId"] = contactId,
            }, id, mail.Write("case"), cancellationToken);
        }
        catch (RecordExistsException)
        {
        }

        await crm.LinkAsync(RecordTypes.Case, id, new RecordLink(RecordTypes.Contact, contactId), mail.Write("case/contact"), cancellationToken);
        return id;
    }

    private static (string? First, string? Last) SplitName(string? name)
    {
        var clean = MailText.Line(name?.Trim('"', '\''), 200);
        if (clean.Length == 0 || clean.Contains('@')) return (null, null);
        var space = clean.LastIndexOf(' ');
        return space < 0 ? (clean, null) : (clean[..space], clean[(space + 1)..]);
    }

    /// <summary>One mail of one mailbox of one tenant: the source of its record ids and effect keys.</summary>
    private sealed record MailKey(string Tenant, string Mailbox, string Key)
    {
        public WriteOptions Write(string step) => new() { EffectKey = StableIds.Effect(Tenant, step, Mailbox, Key), CausationId = MailText.Line(Key, 200) };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bounce: {Address} suppressed in tenant {Tenant} ({Reason})")]
    private static partial void LogSuppressed(ILogger logger, string address, string tenant, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bounce {MessageId}: {Address} could not be suppressed: {Reason}")]
    private static partial void LogNotSuppressed(ILogger logger, string address, string messageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bounce {MessageId} in mailbox {Mailbox} names no failed recipient; nothing suppressed")]
    private static partial void LogBounceWithoutRecipients(ILogger logger, string messageId, string mailbox);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mail {MessageId} in mailbox {Mailbox} from {Sender} matches no contact or case; left alone")]
    private static partial void LogIgnored(ILogger logger, string messageId, string mailbox, string? sender);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mail {MessageId} in mailbox {Mailbox} logged as interaction {InteractionId} (contact {ContactId}, case {CaseId})")]
    private static partial void LogTaken(ILogger logger, string messageId, string mailbox, string interactionId, string? contactId, string? caseId);
}
