using System.Net.Sockets;
using Crm.Engine.Messaging;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Crm.Plugins.Email.Outbound;

/// <summary>
/// Hands one MIME message to the tenant's SMTP server (a connection per message) and says what a failure means:
/// a 5xx refusal of the recipient is a hard bounce (<see cref="PermanentDeliveryException"/> that suppresses the address),
/// a 5xx refusal of the message is permanent for that message; everything else — 4xx, a refused sender, a
/// connection, TLS or login failure — is <see cref="SmtpDeliveryException"/>, which the engine retries.
/// </summary>
internal sealed class SmtpDelivery
{
    public async Task SendAsync(MimeMessage mail, TenantSender sender, CancellationToken cancellationToken)
    {
        var smtp = sender.Smtp;
        var host = smtp.Host!;
        var security = smtp.Security ?? MailSecurity.Auto;
        var port = smtp.Port ?? (security == MailSecurity.SslOnConnect ? 465 : 587);
        var where = $"SMTP {host}:{port}";
        using var client = new SmtpClient { Timeout = (int)(smtp.Timeout ?? TimeSpan.FromSeconds(60)).TotalMilliseconds, LocalDomain = sender.MessageIdDomain };
        try
        {
            await client.ConnectAsync(host, port, Secure(security, port, 465), cancellationToken);
            if (!string.IsNullOrEmpty(smtp.UserName)) await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", cancellationToken);
            await client.SendAsync(mail, sender.Bounce, mail.To.Mailboxes, cancellationToken);
        }
        catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.RecipientNotAccepted && (int)ex.StatusCode >= 500)
        {
            throw new PermanentDeliveryException($"{(int)ex.StatusCode} {ex.Message.Trim()} ({where} refused {ex.Mailbox?.Address})", suppressAddress: true);
        }
        catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.MessageNotAccepted && (int)ex.StatusCode >= 500)
        {
            throw new PermanentDeliveryException($"{(int)ex.StatusCode} {ex.Message.Trim()} ({where} refused the message)", suppressAddress: false);
        }
        catch (SmtpCommandException ex)
        {
            throw new SmtpDeliveryException($"{(int)ex.StatusCode} {ex.Message.Trim()} ({where})", ex);
        }
        catch (Exception ex) when (ex is SmtpProtocolException or IOException or SocketException or SslHandshakeException
                                       or AuthenticationException or ServiceNotConnectedException or ServiceNotAuthenticatedException
                                       or NotSupportedException or TimeoutException)
        {
            throw new SmtpDeliveryException($"{where}: {ex.Message}", ex);
        }
        finally
        {
            if (client.IsConnected)
            {
                try
                {
                    await client.DisconnectAsync(quit: true, CancellationToken.None);
                }
                catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or SmtpCommandException)
                {
                    // The message was handed over (or not) before; a failed QUIT changes nothing.
                }
            }
        }
    }

    /// <summary>MailKit's socket option for a security mode; Auto means TLS on connect on the well-known TLS port, else STARTTLS.</summary>
    internal static SecureSocketOptions Secure(MailSecurity security, int port, int tlsPort) => security switch
    {
        MailSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        MailSecurity.StartTls => SecureSocketOptions.StartTls,
        MailSecurity.StartTlsWhenAvailable => SecureSocketOptions.StartTlsWhenAvailable,
        MailSecurity.None => SecureSocketOptions.None,
        _ => port == tlsPort ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls,
    };
}

/// <summary>A message the SMTP server did not take this time (4xx, connection or login failure): try again later.</summary>
public sealed class SmtpDeliveryException(string message, Exception inner) : Exception(message, inner);
