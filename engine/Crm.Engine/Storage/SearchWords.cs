using System.Text;

namespace Crm.Engine.Storage;

/// <summary>
/// The store-independent part of search: how a user's text splits into words and when it reads as a phone number.
/// Each store turns the words into its own query syntax (FTS5 MATCH, tsquery) with the same semantics.
/// </summary>
internal static class SearchWords
{
    /// <summary>Words beyond this many are ignored.</summary>
    public const int MaxWords = 16;

    /// <summary>Tokens of one word beyond this many are ignored.</summary>
    public const int MaxTokensPerWord = 16;

    /// <summary>The whitespace-separated words of a query, at most <see cref="MaxWords"/>.</summary>
    public static IEnumerable<string> Split(string text) =>
        text.Split((char[]?)null, MaxWords + 1, StringSplitOptions.RemoveEmptyEntries).Take(MaxWords);

    /// <summary>True when every character is an ASCII digit.</summary>
    public static bool IsDigits(string token)
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

    /// <summary>The digits of a query made only of digits and phone punctuation (at least 3 digits), or null.</summary>
    public static string? PhoneDigits(string text)
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
