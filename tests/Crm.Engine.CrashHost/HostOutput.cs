using System.Globalization;

namespace Crm.Engine.CrashHost;

/// <summary>
/// The lines the crash host prints on standard output. Each line is written and flushed only after the store
/// acknowledged the write, so every complete <c>ACK</c> line the reader sees is a promise the store must keep.
/// </summary>
public static class HostOutput
{
    /// <summary>Printed once the data directory is open and writes begin (or, in hold mode, once it is held).</summary>
    public const string Ready = "READY";

    /// <summary>Printed in hold mode after the engine was stopped and the directory let go.</summary>
    public const string Released = "RELEASED";

    private static readonly Lock Gate = new();

    /// <summary>Prints one line and flushes it before returning.</summary>
    public static void Print(string line)
    {
        lock (Gate)
        {
            Console.Out.Write(line + "\n");
            Console.Out.Flush();
        }
    }

    /// <summary>Prints that <paramref name="stream"/> reached <paramref name="version"/> with the write tagged <paramref name="marker"/>.</summary>
    public static void Acknowledged(string stream, long version, string marker) => Print(new Ack(stream, version, marker).ToString());
}

/// <summary>An acknowledged write: the stream, the version the write produced, and a tag unique to that write.</summary>
public sealed record Ack(string Stream, long Version, string Marker)
{
    private const string Prefix = "ACK ";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Stream} {Version} {Marker}");

    /// <summary>Reads a line printed by <see cref="HostOutput.Acknowledged"/>.</summary>
    public static bool TryParse(string line, out Ack ack)
    {
        ack = null!;
        if (!line.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = line[Prefix.Length..].Split(' ');
        if (parts.Length != 3 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var version)) return false;
        ack = new Ack(parts[0], version, parts[2]);
        return true;
    }
}
