namespace Crm.Engine.Filtering;

/// <summary>Kinds of tokens in a filter text.</summary>
internal enum FilterTokenKind
{
    /// <summary>The end of the text.</summary>
    End,

    /// <summary>A bare word: a field, keyword, operator, number, date or relative time.</summary>
    Word,

    /// <summary>A quoted string; <see cref="FilterToken.Text"/> holds it unescaped.</summary>
    String,
    OpenParen,
    CloseParen,
    Comma,

    /// <summary>A run of <c>= &lt; &gt; ! ~</c>, which the language does not use; kept whole for a clear error.</summary>
    Symbol,
}

/// <summary>One token and where it starts in the text.</summary>
internal readonly record struct FilterToken(FilterTokenKind Kind, string Text, int Position)
{
    /// <summary>The token as the error messages quote it.</summary>
    public string Display => Kind switch
    {
        FilterTokenKind.End => "the end of the filter",
        FilterTokenKind.String => "\"" + Text + "\"",
        _ => "'" + Text + "'",
    };

    public bool IsKeyword(string keyword) => Kind == FilterTokenKind.Word && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);
}
