using System.Globalization;
using System.Text.RegularExpressions;

namespace Crm.Engine.Filtering;

/// <summary>
/// Recursive descent over the filter grammar (see docs/filters.md):
/// <code>
/// filter     = or END
/// or         = and { "or" and }
/// and        = unary { "and" unary }
/// unary      = "not" unary | "(" or ")" | comparison
/// comparison = field ( op value | "in" "(" value { "," value } ")" | "exists" )
/// </code>
/// </summary>
internal sealed partial class FilterParser
{
    private const int MaxFieldLength = 200;

    private static readonly Dictionary<string, FilterOperator> Operators = new(StringComparer.OrdinalIgnoreCase)
    {
        ["eq"] = FilterOperator.Eq,
        ["ne"] = FilterOperator.Ne,
        ["lt"] = FilterOperator.Lt,
        ["le"] = FilterOperator.Le,
        ["gt"] = FilterOperator.Gt,
        ["ge"] = FilterOperator.Ge,
        ["in"] = FilterOperator.In,
        ["contains"] = FilterOperator.Contains,
        ["startswith"] = FilterOperator.StartsWith,
        ["exists"] = FilterOperator.Exists,
    };

    private const string OperatorList = "eq, ne, lt, le, gt, ge, in, contains, startswith or exists";

    private readonly FilterLexer _lexer;
    private readonly DateTimeOffset _now;
    private int _comparisons;
    private int _nesting;
    private FilterToken _previous;

    private FilterParser(string text, DateTimeOffset now)
    {
        _lexer = new FilterLexer(text);
        _now = now;
    }

    /// <summary>A parsed part and how many and / or / not levels it holds, the measure stores limit.</summary>
    private readonly record struct Node(Filter Filter, int Depth);

    public static Filter Parse(string text, DateTimeOffset now)
    {
        if (text.Length > FilterLanguage.MaxLength)
        {
            throw new FilterSyntaxException($"The filter is longer than {FilterLanguage.MaxLength} characters", FilterLanguage.MaxLength);
        }

        var parser = new FilterParser(text, now);
        var first = parser._lexer.Peek();
        if (first.Kind == FilterTokenKind.End)
        {
            throw new FilterSyntaxException("The filter is empty", first.Position);
        }

        var node = parser.ParseOr();
        var rest = parser._lexer.Peek();
        return rest.Kind switch
        {
            FilterTokenKind.End => node.Filter,
            FilterTokenKind.CloseParen => throw new FilterSyntaxException("Unexpected ')' without a matching '('", rest.Position),
            _ => throw new FilterSyntaxException($"Expected 'and', 'or' or the end of the filter instead of {rest.Display}", rest.Position),
        };
    }

    private FilterToken Next() => _previous = _lexer.Next();

    private Node ParseOr()
    {
        var first = ParseAnd();
        if (!_lexer.Peek().IsKeyword("or"))
        {
            return first;
        }

        var at = _lexer.Peek().Position;
        List<Filter> parts = [first.Filter];
        var depth = first.Depth;
        while (_lexer.Peek().IsKeyword("or"))
        {
            Next();
            var part = ParseAnd();
            parts.Add(part.Filter);
            depth = Math.Max(depth, part.Depth);
        }

        return Nested(new OrFilter(parts), depth + 1, at);
    }

    private Node ParseAnd()
    {
        var first = ParseUnary();
        if (!_lexer.Peek().IsKeyword("and"))
        {
            return first;
        }

        var at = _lexer.Peek().Position;
        List<Filter> parts = [first.Filter];
        var depth = first.Depth;
        while (_lexer.Peek().IsKeyword("and"))
        {
            Next();
            var part = ParseUnary();
            parts.Add(part.Filter);
            depth = Math.Max(depth, part.Depth);
        }

        return Nested(new AndFilter(parts), depth + 1, at);
    }

    private Node ParseUnary()
    {
        var token = _lexer.Peek();
        if (token.IsKeyword("not"))
        {
            Next();
            Enter(token);
            var inner = ParseUnary();
            _nesting--;
            return Nested(new NotFilter(inner.Filter), inner.Depth + 1, token.Position);
        }

        if (token.Kind == FilterTokenKind.OpenParen)
        {
            Next();
            Enter(token);
            var inner = ParseOr();
            var close = _lexer.Peek();
            switch (close.Kind)
            {
                case FilterTokenKind.CloseParen:
                    Next();
                    break;
                case FilterTokenKind.End:
                    throw new FilterSyntaxException("Unclosed '(': a ')' is missing", token.Position);
                default:
                    throw new FilterSyntaxException($"Expected 'and', 'or' or ')' instead of {close.Display}", close.Position);
            }

            _nesting--;
            return inner;
        }

        return new Node(ParseComparison(), 0);
    }

    /// <summary>Guards the recursion: parentheses and <c>not</c> nest at most <see cref="FilterLanguage.MaxDepth"/> deep.</summary>
    private void Enter(FilterToken token)
    {
        if (++_nesting > FilterLanguage.MaxDepth)
        {
            throw TooDeep(token.Position);
        }
    }

    private static Node Nested(Filter filter, int depth, int position) =>
        depth > FilterLanguage.MaxDepth ? throw TooDeep(position) : new Node(filter, depth);

    private static FilterSyntaxException TooDeep(int position) =>
        new($"The filter nests deeper than {FilterLanguage.MaxDepth} levels", position);

    private Comparison ParseComparison()
    {
        var fieldToken = _lexer.Peek();
        var field = ReadField(fieldToken);
        Next();
        if (++_comparisons > FilterLanguage.MaxComparisons)
        {
            throw new FilterSyntaxException($"The filter has more than {FilterLanguage.MaxComparisons} comparisons", fieldToken.Position);
        }

        var opToken = _lexer.Peek();
        var op = ReadOperator(opToken, field);
        Next();
        var column = RecordColumn(field);
        if (column is not null && op is FilterOperator.Contains or FilterOperator.StartsWith && column != FilterLiteralKind.Text)
        {
            throw new FilterSyntaxException(
                $"'{field}' does not support '{opToken.Text}' (use eq, ne, lt, le, gt, ge, in or exists)", opToken.Position);
        }

        switch (op)
        {
            case FilterOperator.Exists:
                return new Comparison(field, op, null);
            case FilterOperator.In:
                return new Comparison(field, op, ReadList(opToken, field, column));
            default:
                var value = Check(ReadValue(opToken), field, column, op, opToken.Text);
                return new Comparison(field, op, value.Kind == FilterLiteralKind.Null ? null : value.Json);
        }
    }

    private string ReadField(FilterToken token)
    {
        var after = _previous.Kind == FilterTokenKind.End ? "" : " after " + _previous.Display;
        switch (token.Kind)
        {
            case FilterTokenKind.End:
                throw new FilterSyntaxException($"Expected a field name{after}", token.Position);
            case FilterTokenKind.Word when token.IsKeyword("and") || token.IsKeyword("or"):
                throw new FilterSyntaxException($"Expected a field name{after} instead of {token.Display}", token.Position);
            case FilterTokenKind.Word:
                if (token.Text.Length > MaxFieldLength)
                {
                    throw new FilterSyntaxException($"The field name is longer than {MaxFieldLength} characters", token.Position);
                }

                return FieldShape().IsMatch(token.Text)
                    ? token.Text
                    : throw new FilterSyntaxException(
                        $"Invalid field name '{token.Text}' (use names like lastName, custom.region or consent.marketing.email)", token.Position);
            default:
                throw new FilterSyntaxException($"Expected a field name{after} instead of {token.Display}", token.Position);
        }
    }

    private static FilterOperator ReadOperator(FilterToken token, string field)
    {
        if (token.Kind == FilterTokenKind.Word && Operators.TryGetValue(token.Text, out var op))
        {
            return op;
        }

        return token.Kind switch
        {
            FilterTokenKind.End => throw new FilterSyntaxException($"Expected an operator after '{field}' ({OperatorList})", token.Position),
            FilterTokenKind.Word or FilterTokenKind.Symbol =>
                throw new FilterSyntaxException($"Unknown operator '{token.Text}' (use {OperatorList})", token.Position),
            _ => throw new FilterSyntaxException($"Expected an operator after '{field}' instead of {token.Display} ({OperatorList})", token.Position),
        };
    }

    private FilterLiteral ReadValue(FilterToken opToken)
    {
        var token = _lexer.Peek();
        switch (token.Kind)
        {
            case FilterTokenKind.String:
                Next();
                return FilterLiteral.Quoted(token.Text, token.Position);
            case FilterTokenKind.Word when token.IsKeyword("and") || token.IsKeyword("or") || token.IsKeyword("not"):
                throw new FilterSyntaxException($"Expected a value after '{opToken.Text}' instead of {token.Display}", token.Position);
            case FilterTokenKind.Word:
                Next();
                return FilterLiterals.Read(token, _now);
            case FilterTokenKind.OpenParen:
                throw new FilterSyntaxException($"'{opToken.Text}' takes one value; only 'in' takes a list", token.Position);
            case FilterTokenKind.End:
                throw new FilterSyntaxException($"Expected a value after '{opToken.Text}'", token.Position);
            default:
                throw new FilterSyntaxException($"Expected a value after '{opToken.Text}' instead of {token.Display}", token.Position);
        }
    }

    private string ReadList(FilterToken inToken, string field, FilterLiteralKind? column)
    {
        var open = _lexer.Peek();
        if (open.Kind != FilterTokenKind.OpenParen)
        {
            throw new FilterSyntaxException("Expected '(' after 'in', e.g. status in (\"open\", \"pending\")", open.Position);
        }

        Next();
        if (_lexer.Peek().Kind == FilterTokenKind.CloseParen)
        {
            throw new FilterSyntaxException("Expected a value in the list; 'in' needs at least one", _lexer.Peek().Position);
        }

        List<string> values = [];
        while (true)
        {
            if (_lexer.Peek().Kind == FilterTokenKind.End)
            {
                throw new FilterSyntaxException("Unclosed '(': a ')' is missing", open.Position);
            }

            values.Add(Check(ReadValue(inToken), field, column, FilterOperator.In, inToken.Text).Json);
            var next = _lexer.Peek();
            switch (next.Kind)
            {
                case FilterTokenKind.Comma:
                    Next();
                    continue;
                case FilterTokenKind.CloseParen:
                    Next();
                    return "[" + string.Join(",", values) + "]";
                case FilterTokenKind.End:
                    throw new FilterSyntaxException("Unclosed '(': a ')' is missing", open.Position);
                default:
                    throw new FilterSyntaxException($"Expected ',' or ')' in the list instead of {next.Display}", next.Position);
            }
        }
    }

    /// <summary>Refuses values the operator or the record column cannot compare with.</summary>
    private static FilterLiteral Check(FilterLiteral value, string field, FilterLiteralKind? column, FilterOperator op, string opText)
    {
        var nullAllowed = op is FilterOperator.Eq or FilterOperator.Ne or FilterOperator.In;
        switch (column)
        {
            case FilterLiteralKind.Time:
                if (value.Kind is FilterLiteralKind.Date or FilterLiteralKind.Time || (value.Kind == FilterLiteralKind.Null && nullAllowed))
                {
                    return value;
                }

                // A quoted time reads as the same time unquoted.
                if (value.Text is { } text)
                {
                    if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    {
                        return FilterLiteral.Date(date, value.Position);
                    }

                    if (FilterTimes.TryParseDateTime(text, out var time))
                    {
                        return FilterLiteral.Time(time, value.Position);
                    }
                }

                throw new FilterSyntaxException(
                    $"'{field}' compares with a date or a date and time (2024-05-01, 2024-05-01T10:00:00Z, now-7d, today)", value.Position);
            case FilterLiteralKind.Number:
                return value.Kind == FilterLiteralKind.Number || (value.Kind == FilterLiteralKind.Null && nullAllowed)
                    ? value
                    : throw new FilterSyntaxException($"'{field}' compares with a number", value.Position);
            case FilterLiteralKind.Text:
                return value.IsString || (value.Kind == FilterLiteralKind.Null && nullAllowed)
                    ? value
                    : throw new FilterSyntaxException($"'{field}' compares with text in quotes, e.g. {field} eq \"c-42\"", value.Position);
        }

        return op switch
        {
            FilterOperator.Lt or FilterOperator.Le or FilterOperator.Gt or FilterOperator.Ge when value.Kind is FilterLiteralKind.Bool or FilterLiteralKind.Null =>
                throw new FilterSyntaxException($"'{opText}' compares with a number, text or a date, not {value.Json}", value.Position),
            FilterOperator.Contains when value.Kind is FilterLiteralKind.Bool or FilterLiteralKind.Null =>
                throw new FilterSyntaxException($"'{opText}' needs text or a number, not {value.Json}", value.Position),
            FilterOperator.StartsWith when !value.IsString =>
                throw new FilterSyntaxException($"'{opText}' needs text in quotes, not {value.Json}", value.Position),
            _ => value,
        };
    }

    /// <summary>The record fields held beside the JSON fields, and the kind of value each compares with.</summary>
    private static FilterLiteralKind? RecordColumn(string field) => field switch
    {
        "createdAt" or "updatedAt" => FilterLiteralKind.Time,
        "version" => FilterLiteralKind.Number,
        "id" => FilterLiteralKind.Text,
        _ => null,
    };

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex FieldShape();
}
