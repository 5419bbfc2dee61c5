using System.Text;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Turns what a user typed into a <c>to_tsquery('simple', …)</c> expression that can never be a syntax error: user
/// text only ever reaches the query as quoted lexemes made of letters and digits. Each whitespace-separated word must
/// match (AND). One token becomes a prefix term (<c>'jo':*</c>), several become a phrase whose last token is a prefix,
/// so <c>john.doe@exa</c> finds that address. A word of digit groups (<c>415-555</c>) may also match the digits run
/// together, and a whole query that looks like a phone number (<c>+1 (415) 555-01</c>) also matches its digits as one
/// prefix, because the index holds phone numbers as digit runs. The same semantics as the SQLite store's search.
/// </summary>
internal static class SearchExpression
{
    /// <summary>The tsquery text, or null when the text holds no searchable characters.</summary>
    public static string? Build(string text)
    {
        var query = new StringBuilder();
        var tokens = new List<string>();
        var terms = 0;
        foreach (var word in SearchWords.Split(text))
        {
            tokens.Clear();
            SearchTokens.Tokenize(word, tokens, SearchWords.MaxTokensPerWord);
            if (tokens.Count == 0)
            {
                continue;
            }

            if (terms++ > 0)
            {
                query.Append(" & ");
            }

            AppendWord(query, tokens);
        }

        if (terms == 0)
        {
            return null;
        }

        var phoneDigits = SearchWords.PhoneDigits(text);
        return phoneDigits is null || terms == 1
            ? query.ToString()
            : $"({query}) | {Lexeme(phoneDigits)}:*";
    }

    private static void AppendWord(StringBuilder query, List<string> tokens)
    {
        if (tokens.Count == 1)
        {
            query.Append(Lexeme(tokens[0])).Append(":*");
            return;
        }

        var allDigits = tokens.TrueForAll(SearchWords.IsDigits);
        query.Append('(');
        for (var i = 0; i < tokens.Count; i++)
        {
            query.Append(i > 0 ? " <-> " : "").Append(Lexeme(tokens[i]));
        }

        query.Append(":*");
        if (allDigits)
        {
            query.Append(" | ").Append(Lexeme(string.Concat(tokens))).Append(":*");
        }

        query.Append(')');
    }

    /// <summary>A quoted lexeme; tokens hold only letters and digits, so there is nothing to escape.</summary>
    private static string Lexeme(string token) => "'" + token + "'";
}
