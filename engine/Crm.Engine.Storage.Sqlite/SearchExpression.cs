using System.Globalization;
using System.Text;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// Turns what a user typed into an FTS5 MATCH expression that can never be a syntax error.
/// Each whitespace-separated word must match (AND). A word is cut into tokens the way the index tokeniser
/// (unicode61) cuts text, at every character that is not a letter or digit; one token becomes a prefix term,
/// several become a phrase whose last token is a prefix, so <c>john.doe@exa</c> finds that address. A word of digit
/// groups (<c>415-555</c>) may also match the digits run together, and a whole query that looks like a phone number
/// (<c>+1 (415) 555-01</c>) also matches its digits as one prefix, because the index holds phone numbers as digit runs.
/// </summary>
internal static class SearchExpression
{
    /// <summary>The MATCH expression, or null when the text holds no searchable characters.</summary>
    public static string? Build(string text)
    {
        var match = new StringBuilder();
        var tokens = new List<string>();
        var terms = 0;
        foreach (var word in SearchWords.Split(text))
        {
            Tokenize(word, tokens);
            if (tokens.Count == 0)
            {
                continue;
            }

            if (terms++ > 0)
            {
                match.Append(" AND ");
            }

            AppendWord(match, tokens);
        }

        if (terms == 0)
        {
            return null;
        }

        var phoneDigits = SearchWords.PhoneDigits(text);
        return phoneDigits is null || terms == 1
            ? match.ToString()
            : $"({match}) OR \"{phoneDigits}\"*";
    }

    private static void AppendWord(StringBuilder match, List<string> tokens)
    {
        if (tokens.Count == 1)
        {
            match.Append('"').Append(tokens[0]).Append("\"*");
            return;
        }

        var allDigits = tokens.TrueForAll(SearchWords.IsDigits);
        if (allDigits)
        {
            match.Append('(');
        }

        match.Append('"').AppendJoin(' ', tokens).Append("\"*");
        if (allDigits)
        {
            match.Append(" OR \"").AppendJoin("", tokens).Append("\"*)");
        }
    }

    /// <summary>Splits on every character the unicode61 tokeniser treats as a separator (all but letters, digits, private use).</summary>
    private static void Tokenize(string word, List<string> tokens)
    {
        tokens.Clear();
        var start = -1;
        var i = 0;
        while (i <= word.Length)
        {
            var width = 1;
            var isTokenChar = false;
            if (i < word.Length)
            {
                Rune.DecodeFromUtf16(word.AsSpan(i), out var rune, out width);
                isTokenChar = IsTokenChar(Rune.GetUnicodeCategory(rune));
            }

            if (isTokenChar && start < 0)
            {
                start = i;
            }
            else if (!isTokenChar && start >= 0)
            {
                if (tokens.Count < SearchWords.MaxTokensPerWord)
                {
                    tokens.Add(word[start..i]);
                }

                start = -1;
            }

            i += width;
        }
    }

    private static bool IsTokenChar(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
            or UnicodeCategory.PrivateUse => true,

        // Combining accents stay inside their word; the tokeniser folds them away (remove_diacritics).
        UnicodeCategory.NonSpacingMark => true,
        _ => false,
    };
}
