using System.Diagnostics;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Crm.Plugins.Email.IntegrationTests.MailServers;

/// <summary>
/// A real IMAP server: Dovecot 2.3 started with a generated configuration in a temporary folder, listening on a free
/// loopback port, plaintext login (any user name, password <see cref="Password"/>), one Maildir per user. Tests put
/// mail in with IMAP APPEND, as another mail client would.
/// </summary>
public sealed class ImapServer : IAsyncDisposable
{
    public const string Password = "secret";
    private const string Dovecot = "/usr/sbin/dovecot";
    private readonly Process _process;
    private readonly string _root;

    private ImapServer(Process process, string root, int port)
    {
        _process = process;
        _root = root;
        Port = port;
    }

    public int Port { get; }

    public string Log => File.Exists(Path.Combine(_root, "dovecot.log")) ? File.ReadAllText(Path.Combine(_root, "dovecot.log")) : "";

    public static async Task<ImapServer> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("crm-dovecot-").FullName;
        var mail = Path.Combine(root, "mail");
        Directory.CreateDirectory(mail);
        // Dovecot's own processes run as unprivileged users: they must reach the folder and write the Maildirs.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(mail, (UnixFileMode)0b111_111_111);
        }
        var (internalUser, loginUser, mailUser, mailGroup) = Environment.UserName == "root"
            ? ("dovecot", "dovenull", "dovecot", "dovecot")
            : (Environment.UserName, Environment.UserName, Environment.UserName, await GroupAsync());
        var port = FreePort.Next();
        var config = Path.Combine(root, "dovecot.conf");
        await File.WriteAllTextAsync(config, $$"""
            base_dir = {{root}}/run
            state_dir = {{root}}/state
            log_path = {{root}}/dovecot.log
            listen = 127.0.0.1
            protocols = imap
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            default_internal_user = {{internalUser}}
            default_login_user = {{loginUser}}
            first_valid_uid = 1
            mail_location = maildir:{{mail}}/%u
            passdb {
              driver = static
              args = password={{Password}}
            }
            userdb {
              driver = static
              args = uid={{mailUser}} gid={{mailGroup}} home={{mail}}/%u
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{port}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            service stats {
              unix_listener stats-reader {
                mode = 0666
              }
              unix_listener stats-writer {
                mode = 0666
              }
            }

            """);
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(Dovecot) { ArgumentList = { "-F", "-c", config }, RedirectStandardError = true, RedirectStandardOutput = true },
        };
        process.Start();
        var errors = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        var server = new ImapServer(process, root, port);
        await FreePort.WaitForListenerAsync(port, TimeSpan.FromSeconds(20),
            () => process.HasExited ? $"Dovecot exited with {process.ExitCode}: {(errors.IsCompleted ? errors.Result : "")} {server.Log}" : null);
        return server;
    }

    /// <summary>Puts a message into a user's folder (created on first use) and answers its UID.</summary>
    public async Task<uint> AppendAsync(string user, MimeMessage message, string folder = "INBOX")
    {
        using var client = await ConnectAsync(user);
        var target = folder == "INBOX" ? client.Inbox : await GetOrCreateAsync(client, folder);
        var uid = await target.AppendAsync(message, MessageFlags.None);
        await client.DisconnectAsync(true);
        return uid?.Id ?? 0;
    }

    public async Task<ImapClient> ConnectAsync(string user)
    {
        var client = new ImapClient();
        await client.ConnectAsync("127.0.0.1", Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, Password);
        return client;
    }

    private static async Task<IMailFolder> GetOrCreateAsync(ImapClient client, string name)
    {
        var personal = client.GetFolder(client.PersonalNamespaces[0]);
        try
        {
            return await client.GetFolderAsync(name);
        }
        catch (FolderNotFoundException)
        {
            return await personal.CreateAsync(name, isMessageFolder: true) ?? throw new InvalidOperationException($"Folder {name} was not created.");
        }
    }

    private static async Task<string> GroupAsync()
    {
        using var id = Process.Start(new ProcessStartInfo("id", "-gn") { RedirectStandardOutput = true })!;
        var group = (await id.StandardOutput.ReadToEndAsync()).Trim();
        await id.WaitForExitAsync();
        return group;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
