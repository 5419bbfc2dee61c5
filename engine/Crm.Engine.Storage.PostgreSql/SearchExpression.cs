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
    private const int MaxWords = 16;
    private const int MaxTokensPerWord = 16;

    /// <summary>The tsquery text, or null when the text holds no searchable characters.</summary>
    public static string? Build(string text)
    {
        var words = text.Split((char[]?)null, MaxWords + 1, StringSplitOptions.RemoveEmptyEntries);
        var query = new StringBuilder();
        var tokens = new List<string>();
        var terms = 0;
        foreach (var word in words.Take(MaxWords))
        {
            tokens.Clear();
            SearchTokens.Tokenize(word, tokens, MaxTokensPerWord);
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

        var phoneDigits = PhoneDigits(text);
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

        var allDigits = tokens.TrueForAll(IsDigits);
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

    private static bool IsDigits(string token)
    {
        foreach (var c in token)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The digits of a query made only of digits and phone punctuation, or null.</summary>
    private static string? PhoneDigits(string text)
    {
        var digits = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
            }
            else if (c is not (' ' or '+' or '-' or '(' or ')' or '.' or '\t'))
            {
                return null;
            }
        }

        return digits.Length >= 3 ? digits.ToString() : null;
    }
}
