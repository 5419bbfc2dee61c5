using System.Globalization;
using System.Text;

namespace Crm.Engine.Filtering;

/// <summary>
/// Splits a filter text into tokens on demand, so the first problem in reading order is the one reported.
/// </summary>
internal sealed class FilterLexer(string text)
{
    private int _position;
    private FilterToken? _peeked;

    /// <summary>The next token, without consuming it.</summary>
    public FilterToken Peek() => _peeked ??= Read();

    /// <summary>Consumes and returns the next token.</summary>
    public FilterToken Next()
    {
        var token = Peek();
        _peeked = null;
        return token;
    }

    private FilterToken Read()
    {
        while (_position < text.Length && char.IsWhiteSpace(text[_position]))
        {
            _position++;
        }

        if (_position == text.Length)
        {
            return new FilterToken(FilterTokenKind.End, "", _position);
        }

        var start = _position;
        var c = text[_position];
        switch (c)
        {
            case '(':
                _position++;
                return new FilterToken(FilterTokenKind.OpenParen, "(", start);
            case ')':
                _position++;
                return new FilterToken(FilterTokenKind.CloseParen, ")", start);
            case ',':
                _position++;
                return new FilterToken(FilterTokenKind.Comma, ",", start);
            case '"' or '\'':
                return ReadString(c);
        }

        if (IsWordChar(c))
        {
            while (_position < text.Length && IsWordChar(text[_position]))
            {
                _position++;
            }

            return new FilterToken(FilterTokenKind.Word, text[start.._position], start);
        }

        if (IsSymbolChar(c))
        {
            while (_position < text.Length && IsSymbolChar(text[_position]))
            {
                _position++;
            }

            return new FilterToken(FilterTokenKind.Symbol, text[start.._position], start);
        }

        var shown = char.IsControl(c) || char.IsWhiteSpace(c)
            ? "U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture)
            : "'" + c + "'";
        throw new FilterSyntaxException($"Unexpected character {shown}", start);
    }

    /// <summary>A string in double or single quotes; a backslash escapes <c>\" \' \\ \n \r \t \uXXXX</c>.</summary>
    private FilterToken ReadString(char quote)
    {
        var start = _position++;
        var value = new StringBuilder();
        while (true)
        {
            if (_position >= text.Length)
            {
                throw new FilterSyntaxException("Unterminated string (a quote is missing)", start);
            }

            var c = text[_position];
            if (c == quote)
            {
                _position++;
                return new FilterToken(FilterTokenKind.String, value.ToString(), start);
            }

            if (c != '\\')
            {
                value.Append(c);
                _position++;
                continue;
            }

            var escape = _position;
            if (escape + 1 >= text.Length)
            {
                throw new FilterSyntaxException("Unterminated string (a quote is missing)", start);
            }

            var next = text[escape + 1];
            _position = escape + 2;
            switch (next)
            {
                case '"' or '\'' or '\\':
                    value.Append(next);
                    break;
                case 'n':
                    value.Append('\n');
                    break;
                case 'r':
                    value.Append('\r');
                    break;
                case 't':
                    value.Append('\t');
                    break;
                case 'u' when escape + 6 <= text.Length
                    && ushort.TryParse(text.AsSpan(escape + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    value.Append((char)code);
                    _position = escape + 6;
                    break;
                case 'u':
                    throw new FilterSyntaxException("A \\u escape needs four hex digits, e.g. \\u00e9", escape);
                default:
                    throw new FilterSyntaxException($"Unknown escape '\\{next}' (use \\\", \\', \\\\, \\n, \\r, \\t or \\uXXXX)", escape);
            }
        }
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or ':' or '+' or '-';

    private static bool IsSymbolChar(char c) => c is '=' or '<' or '>' or '!' or '~';
}
