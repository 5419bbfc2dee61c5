using System.Globalization;
using System.Text;

namespace Crm.Engine.Storage.PostgreSql;

/// <summary>
/// Cuts text into search tokens the same way for the index and for queries, as SQLite's unicode61 tokeniser does:
/// at every character that is not a letter or digit, lower-cased, with diacritics removed. Tokenising here rather than
/// in PostgreSQL's parser keeps e-mail addresses and host names from becoming single lexemes, and makes accent folding
/// independent of whether the <c>unaccent</c> extension is installed.
/// </summary>
internal static class SearchTokens
{
    /// <summary>Longer tokens are cut; PostgreSQL refuses lexemes over 2047 bytes.</summary>
    private const int MaxTokenLength = 200;

    /// <summary>The text handed to <c>to_tsvector('simple', …)</c>: the tokens separated by spaces.</summary>
    public static string ForIndex(string text)
    {
        var tokens = new List<string>();
        Tokenize(text, tokens, int.MaxValue);
        return string.Join(' ', tokens);
    }

    /// <summary>Adds the tokens of <paramref name="text"/> to <paramref name="tokens"/>, at most <paramref name="max"/>.</summary>
    public static void Tokenize(string text, List<string> tokens, int max)
    {
        var folded = Fold(text);
        var start = -1;
        var i = 0;
        while (i <= folded.Length)
        {
            var width = 1;
            var isTokenChar = false;
            if (i < folded.Length)
            {
                Rune.DecodeFromUtf16(folded.AsSpan(i), out var rune, out width);
                isTokenChar = IsTokenChar(Rune.GetUnicodeCategory(rune));
            }

            if (isTokenChar && start < 0)
            {
                start = i;
            }
            else if (!isTokenChar && start >= 0)
            {
                if (tokens.Count < max)
                {
                    var token = folded[start..i];
                    tokens.Add(token.Length > MaxTokenLength ? token[..MaxTokenLength] : token);
                }

                start = -1;
            }

            i += width;
        }
    }

    /// <summary>Lower-cases and removes combining marks (<c>Zoë</c> → <c>zoe</c>, <c>Müller</c> → <c>muller</c>).</summary>
    private static string Fold(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var folded = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                folded.Append(c);
            }
        }

        return folded.ToString().Normalize(NormalizationForm.FormC).ToLowerInvariant();
    }

    private static bool IsTokenChar(UnicodeCategory category) => category is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
        or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
        or UnicodeCategory.PrivateUse;
}
