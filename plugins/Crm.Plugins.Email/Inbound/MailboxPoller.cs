using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Plugins;
using Crm.Plugins.Email.Outbound;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Logging;

namespace Crm.Plugins.Email.Inbound;

/// <summary>
/// Reads one IMAP mailbox into its tenant, as background work the engine runs on one node at a time. Messages are
/// read in UID order, each taken in (<see cref="InboundMail"/>) before the mailbox's cursor — UIDVALIDITY and last
/// UID, kept in the plugin's data of the tenant (<c>imap:&lt;mailbox&gt;</c>) — moves past it, so a restart or another
/// node goes on where this one stopped. A crash between the two reads that mail again, which changes nothing.
/// The folder is opened read-only: the plugin never marks, moves or deletes mail.
/// </summary>
internal sealed partial class MailboxPoller(
    MailboxOptions mailbox,
    InboundMail inbound,
    ICrmClient root,
    string pluginName,
    TimeProvider time,
    ILogger<MailboxPoller> logger) : ICrmBackgroundWork
{
    public string Name => "imap." + mailbox.Key;

    /// <summary>Where the cursor is kept in the plugin's data.</summary>
    public string CursorKey => "imap:" + mailbox.Key;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                while (await PollAsync(cancellationToken) >= mailbox.BatchSize)
                {
                    // A full batch: more mail is waiting.
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The server is down, the password wrong, the engine busy: try again at the next poll.
                LogPollFailed(logger, ex, mailbox.Key, ex.Message);
            }

            try
            {
                await Task.Delay(mailbox.PollInterval, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Reads up to a batch of new messages; answers how many it took in.</summary>
    public async Task<int> PollAsync(CancellationToken cancellationToken)
    {
        var data = root.ForTenant(mailbox.Tenant!, EmailPlugin.Actor).PluginData(pluginName);
        var cursor = MailboxCursor.From(await data.GetAsync(CursorKey, cancellationToken));

        using var client = new ImapClient { Timeout = 60_000 };
        var security = mailbox.Security;
        var port = mailbox.Port ?? (security is MailSecurity.Auto or MailSecurity.SslOnConnect ? 993 : 143);
        await client.ConnectAsync(mailbox.Host!, port, SmtpDelivery.Secure(security, port, 993), cancellationToken);
        await client.AuthenticateAsync(mailbox.UserName!, mailbox.Password ?? "", cancellationToken);
        var folder = await client.GetFolderAsync(mailbox.Folder, cancellationToken);
        await folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken);

        if (folder.UidValidity != cursor.UidValidity)
        {
            // New or rebuilt folder: its UIDs start afresh. Reading it all again is safe; every mail is taken in once.
            if (cursor.UidValidity != 0) LogUidValidityChanged(logger, mailbox.Key, cursor.UidValidity, folder.UidValidity);
            cursor = new MailboxCursor(folder.UidValidity, 0);
            await data.SetAsync(CursorKey, cursor.ToJson(time.GetUtcNow()), cancellationToken: cancellationToken);
        }

        var found = await folder.SearchAsync(SearchQuery.Uids(new UniqueIdRange(new UniqueId(folder.UidValidity, cursor.LastUid + 1), UniqueId.MaxValue)), cancellationToken);
        var uids = found.Where(u => u.Id > cursor.LastUid).OrderBy(u => u.Id).Take(mailbox.BatchSize).ToList();
        foreach (var uid in uids)
        {
            var message = await folder.GetMessageAsync(uid, cancellationToken);
            var fallbackKey = $"imap:{mailbox.Key}:{folder.UidValidity}:{uid.Id}";
            try
            {
                var outcome = await inbound.TakeAsync(mailbox, message, fallbackKey, cancellationToken);
                EmailMetrics.Inbound(outcome.ToString().ToLowerInvariant());
            }
            catch (Exception ex) when (ex is ValidationException or RecordNotFoundException)
            {
                // The engine refuses this mail as it is (and would every time): skip it rather than block the mailbox.
                EmailMetrics.Inbound("refused");
                LogRefused(logger, ex, uid.Id, mailbox.Key, ex.Message);
            }

            cursor = cursor with { LastUid = uid.Id };
            await data.SetAsync(CursorKey, cursor.ToJson(time.GetUtcNow()), cancellationToken: cancellationToken);
        }

        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ImapProtocolException)
        {
        }

        return uids.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {Mailbox} could not be read: {Reason}")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, string mailbox, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Mail UID {Uid} in mailbox {Mailbox} was refused by the engine and skipped: {Reason}")]
    private static partial void LogRefused(ILogger logger, Exception exception, uint uid, string mailbox, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {Mailbox}: UIDVALIDITY changed from {Old} to {New}; reading the folder from the start")]
    private static partial void LogUidValidityChanged(ILogger logger, string mailbox, uint old, uint @new);
}

/// <summary>How far a mailbox has been read: the folder's UIDVALIDITY and the last UID taken in.</summary>
internal sealed record MailboxCursor(uint UidValidity, uint LastUid)
{
    public static MailboxCursor From(JsonObject? json) =>
        json is null ? new MailboxCursor(0, 0) : new MailboxCursor((uint?)json["uidValidity"] ?? 0, (uint?)json["lastUid"] ?? 0);

    public JsonObject ToJson(DateTimeOffset at) => new()
    {
        ["uidValidity"] = UidValidity,
        ["lastUid"] = LastUid,
        ["at"] = at.ToString("O", CultureInfo.InvariantCulture),
    };
}
