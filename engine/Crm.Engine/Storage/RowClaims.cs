namespace Crm.Engine.Storage;

/// <summary>
/// Gathers the uniqueness claims and links that a store reads for a page of read-model rows, by stream, and puts them
/// on the rows they belong to.
/// </summary>
internal sealed class RowClaims
{
    private readonly Dictionary<string, List<UniqueClaim>> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<RecordLink>> _links = new(StringComparer.Ordinal);

    /// <summary>The streams of the rows, in the rows' order.</summary>
    public static string[] StreamsOf(List<RecordRow> rows) => rows.Select(row => StreamIds.ForRecord(row.Type, row.Id)).ToArray();

    /// <summary>A claim the stream holds.</summary>
    public void AddKey(string stream, string kind, string value) => ListFor(_keys, stream).Add(new UniqueClaim(kind, value));

    /// <summary>A link the stream holds, its target stored as <c>type/id</c>.</summary>
    public void AddLink(string ownerStream, string targetStream, string? role)
    {
        var slash = targetStream.IndexOf('/');
        ListFor(_links, ownerStream).Add(new RecordLink(
            slash < 0 ? targetStream : targetStream[..slash],
            slash < 0 ? "" : targetStream[(slash + 1)..],
            role));
    }

    /// <summary>The rows, each with the claims and links of its stream (<paramref name="streams"/> as <see cref="StreamsOf"/> gave them).</summary>
    public List<RecordRow> AttachTo(List<RecordRow> rows, string[] streams)
    {
        if (_keys.Count == 0 && _links.Count == 0)
        {
            return rows;
        }

        for (var i = 0; i < rows.Count; i++)
        {
            var hasKeys = _keys.TryGetValue(streams[i], out var rowKeys);
            var hasLinks = _links.TryGetValue(streams[i], out var rowLinks);
            if (hasKeys || hasLinks)
            {
                rows[i] = rows[i] with { UniqueClaims = rowKeys ?? [], Links = rowLinks ?? [] };
            }
        }

        return rows;
    }

    private static List<T> ListFor<T>(Dictionary<string, List<T>> lists, string stream)
    {
        if (!lists.TryGetValue(stream, out var list))
        {
            list = [];
            lists.Add(stream, list);
        }

        return list;
    }
}
