using Xunit;

namespace Crm.Engine.Storage.Sqlite.Tests;

/// <summary>How typed search text becomes an FTS5 query.</summary>
public sealed class SearchExpressionTests
{
    [Theory]
    [InlineData("john", "\"john\"*")]
    [InlineData("John Doe", "\"John\"* AND \"Doe\"*")]
    [InlineData("john.doe@example.com", "\"john doe example com\"*")]
    [InlineData("415-555", "(\"415 555\"* OR \"415555\"*)")]
    [InlineData("+1 (415) 555", "(\"1\"* AND \"415\"* AND \"555\"*) OR \"1415555\"*")]
    [InlineData("O'Brien", "\"O Brien\"*")]
    [InlineData("\"john\" AND (", "\"john\"* AND \"AND\"*")]
    public void Typed_text_becomes_a_safe_match_expression(string text, string expected)
    {
        Assert.Equal(expected, SearchExpression.Build(text));
    }

    [Theory]
    [InlineData("\"")]
    [InlineData("( ) * ^ :")]
    [InlineData("🎉")]
    public void Text_without_letters_or_digits_matches_nothing(string text)
    {
        Assert.Null(SearchExpression.Build(text));
    }
}
