using System.Diagnostics;
using MimeKit;

namespace Crm.Plugins.Email.IntegrationTests.MailServers;

/// <summary>One message the sink received: its envelope and the message.</summary>
public sealed record SinkMessage(string MailFrom, IReadOnlyList<string> RcptTo, MimeMessage Message, bool Deferred, string File);

/// <summary>
/// A real SMTP server (aiosmtpd, <c>smtp_sink.py</c>) on a free loopback port, writing every message it accepts to a
/// folder. Recipients starting with <c>reject-</c> get 550, <c>busy-</c> 450, <c>defer-</c> a 451 after the first DATA.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Process _process;
    private readonly System.Text.StringBuilder _errors = new();

    private SmtpSink(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        Folder = folder;
    }

    public int Port { get; }
    public string Folder { get; }

    public static async Task<SmtpSink> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("crm-smtp-sink-").FullName;
        var port = FreePort.Next();
        var script = Path.Combine(AppContext.BaseDirectory, "MailServers", "smtp_sink.py");
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(Python) { ArgumentList = { script, "--port", port.ToString(), "--folder", folder }, RedirectStandardError = true, RedirectStandardOutput = true },
        };
        var sink = new SmtpSink(process, port, folder);
        process.ErrorDataReceived += (_, e) => { lock (sink._errors) sink._errors.AppendLine(e.Data); };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        await FreePort.WaitForListenerAsync(port, TimeSpan.FromSeconds(20),
            () => process.HasExited ? $"The SMTP sink exited with {process.ExitCode}: {sink.Errors}" : null);
        return sink;
    }

    public string Errors
    {
        get { lock (_errors) return _errors.ToString(); }
    }

    /// <summary>Every message received so far (deferred copies included), in the order received.</summary>
    public async Task<IReadOnlyList<SinkMessage>> MessagesAsync()
    {
        var list = new List<SinkMessage>();
        foreach (var (folder, deferred) in new[] { (Folder, false), (Path.Combine(Folder, "deferred"), true) })
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var file in Directory.GetFiles(folder, "*.eml").Order(StringComparer.Ordinal))
            {
                var message = await MimeMessage.LoadAsync(file);
                var rcpt = (message.Headers["X-Sink-Rcpt-To"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                list.Add(new SinkMessage(message.Headers["X-Sink-Mail-From"] ?? "", rcpt, message, deferred, file));
            }
        }

        // Files are numbered in the order the sink received them, deferred or not.
        return [.. list.OrderBy(m => Path.GetFileName(m.File), StringComparer.Ordinal)];
    }

    /// <summary>The messages delivered (not deferred) to <paramref name="address"/>.</summary>
    public async Task<IReadOnlyList<SinkMessage>> DeliveredToAsync(string address) =>
        [.. (await MessagesAsync()).Where(m => !m.Deferred && m.RcptTo.Contains(address, StringComparer.OrdinalIgnoreCase))];

    /// <summary>Waits for a message delivered to <paramref name="address"/> (and matching <paramref name="match"/>).</summary>
    public async Task<SinkMessage> WaitForAsync(string address, Func<SinkMessage, bool>? match = null)
    {
        SinkMessage? found = null;
        await Eventually.TrueAsync(async () => (found = (await DeliveredToAsync(address)).FirstOrDefault(m => match?.Invoke(m) ?? true)) is not null);
        return found!;
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
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
