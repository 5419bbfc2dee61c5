using System.Text.Json;

namespace CustomPlugin;

/// <summary>One line of the message log.</summary>
public sealed record LoggedMessage(string MessageId, string Tenant, string ContactId, string To, string? Subject, string Body, DateTimeOffset LoggedAt);

/// <summary>The JSON-lines file the connector writes; one writer at a time.</summary>
public sealed class MessageLogFile(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Path { get; } = path;

    public async Task AppendAsync(LoggedMessage message, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            await File.AppendAllTextAsync(Path, JsonSerializer.Serialize(message, Json) + "\n", cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<LoggedMessage>> ReadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(Path)) return [];
            var lines = await File.ReadAllLinesAsync(Path, cancellationToken);
            return lines.Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<LoggedMessage>(l, Json)!).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }
}
