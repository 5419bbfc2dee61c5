using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;

namespace Crm.Engine.Storage;

/// <summary>
/// Opaque keyset cursors: the last row's sort value and row id (or the last event's position), base64url-encoded.
/// Keyset paging stays stable while rows are inserted, unlike offsets.
/// </summary>
internal static class PageCursor
{
    private const byte Plain = (byte)'P';
    private const byte Keyed = (byte)'K';
    private const byte NullKey = 0, IntegerKey = 1, RealKey = 2, TextKey = 3, BlobKey = 4;

    /// <summary>A cursor holding only a row id or position.</summary>
    public static string Encode(long after)
    {
        Span<byte> buffer = stackalloc byte[9];
        buffer[0] = Plain;
        BinaryPrimitives.WriteInt64LittleEndian(buffer[1..], after);
        return Base64Url.EncodeToString(buffer);
    }

    /// <summary>A cursor holding a sort value and the row id that breaks ties.</summary>
    public static string Encode(object? key, long rid)
    {
        var bytes = new List<byte>(32) { Keyed };
        Span<byte> number = stackalloc byte[8];
        switch (key)
        {
            case null or DBNull:
                bytes.Add(NullKey);
                break;
            case long integer:
                bytes.Add(IntegerKey);
                BinaryPrimitives.WriteInt64LittleEndian(number, integer);
                bytes.AddRange(number);
                break;
            case double real:
                bytes.Add(RealKey);
                BinaryPrimitives.WriteDoubleLittleEndian(number, real);
                bytes.AddRange(number);
                break;
            case string text:
                bytes.Add(TextKey);
                bytes.AddRange(Encoding.UTF8.GetBytes(text));
                break;
            case byte[] blob:
                bytes.Add(BlobKey);
                bytes.AddRange(blob);
                break;
            default:
                throw new InvalidOperationException($"Unexpected sort value type {key.GetType()}.");
        }

        BinaryPrimitives.WriteInt64LittleEndian(number, rid);
        bytes.AddRange(number);
        return Base64Url.EncodeToString(bytes.ToArray());
    }

    /// <summary>Reads a cursor made by <see cref="Encode(long)"/>.</summary>
    public static long DecodePlain(string cursor)
    {
        var bytes = Decode(cursor);
        if (bytes.Length != 9 || bytes[0] != Plain)
        {
            throw Invalid();
        }

        return BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(1));
    }

    /// <summary>Reads a cursor made by <see cref="Encode(object?, long)"/>.</summary>
    public static (object? Key, long Rid) DecodeKeyed(string cursor)
    {
        var bytes = Decode(cursor);
        if (bytes.Length < 10 || bytes[0] != Keyed)
        {
            throw Invalid();
        }

        var value = bytes.AsSpan(2, bytes.Length - 10);
        var rid = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(bytes.Length - 8));
        object? key = bytes[1] switch
        {
            NullKey when value.IsEmpty => null,
            IntegerKey when value.Length == 8 => BinaryPrimitives.ReadInt64LittleEndian(value),
            RealKey when value.Length == 8 => BinaryPrimitives.ReadDoubleLittleEndian(value),
            TextKey => Encoding.UTF8.GetString(value),
            BlobKey => value.ToArray(),
            _ => throw Invalid(),
        };
        return (key, rid);
    }

    private static byte[] Decode(string cursor)
    {
        try
        {
            return Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            throw Invalid();
        }
    }

    private static ArgumentException Invalid() =>
        new("The cursor is not one this query returned; start again without a cursor.", "cursor");
}
