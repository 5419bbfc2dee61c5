using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Filtering;
using Microsoft.Extensions.DependencyInjection;
using static Crm.Engine.Tests.Json;

namespace Crm.Engine.Tests;

/// <summary>The filter language on its own: which texts give which filter tree, and where bad ones go wrong.</summary>
public sealed class FilterLanguageTests
{
    private static readonly DateTimeOffset Now = new(2024, 6, 15, 13, 45, 30, TimeSpan.Zero);

    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A compact rendering of a tree, for tables of expectations: <c>and(a eq 1, not(b exists))</c>.</summary>
    private static string Show(Filter filter) => filter switch
    {
        AndFilter and => "and(" + string.Join(", ", and.Parts.Select(Show)) + ")",
        OrFilter or => "or(" + string.Join(", ", or.Parts.Select(Show)) + ")",
        NotFilter not => "not(" + Show(not.Inner) + ")",
        Comparison { Operator: FilterOperator.Exists } c => $"{c.Field} exists",
        Comparison c => $"{c.Field} {c.Operator.ToString().ToLowerInvariant()} {(c.ValueJson is null ? "null" : JsonNode.Parse(c.ValueJson)!.ToJsonString(Readable))}",
        _ => throw new InvalidOperationException(filter.GetType().Name),
    };

    [Theory]
    // operators
    [InlineData("lastName eq \"Ada\"", "lastName eq \"Ada\"")]
    [InlineData("lastName EQ 'Ada'", "lastName eq \"Ada\"")]
    [InlineData("lifecycleStage ne \"lead\"", "lifecycleStage ne \"lead\"")]
    [InlineData("age lt 30", "age lt 30")]
    [InlineData("age le 30", "age le 30")]
    [InlineData("amount gt -12.50", "amount gt -12.50")]
    [InlineData("amount ge 0.5", "amount ge 0.5")]
    [InlineData("status in (\"open\", 'pending', 3, null, true)", "status in [\"open\",\"pending\",3,null,true]")]
    [InlineData("status IN(\"open\")", "status in [\"open\"]")]
    [InlineData("lastName contains \"love\"", "lastName contains \"love\"")]
    [InlineData("tags contains \"vip\"", "tags contains \"vip\"")]
    [InlineData("lastName startswith \"Lo\"", "lastName startswith \"Lo\"")]
    [InlineData("lastName StartsWith \"Lo\"", "lastName startswith \"Lo\"")]
    [InlineData("email exists", "email exists")]
    [InlineData("not email exists", "not(email exists)")]
    // fields
    [InlineData("custom.region eq \"EU\"", "custom.region eq \"EU\"")]
    [InlineData("consent.marketing.email eq \"granted\"", "consent.marketing.email eq \"granted\"")]
    [InlineData("id eq \"c-42\"", "id eq \"c-42\"")]
    [InlineData("version ge 2", "version ge 2")]
    [InlineData("field_2 eq 1", "field_2 eq 1")]
    // values
    [InlineData("active eq true", "active eq true")]
    [InlineData("active eq FALSE", "active eq false")]
    [InlineData("status eq null", "status eq null")]
    [InlineData("n eq -7", "n eq -7")]
    [InlineData("n eq 12345678901234567890", "n eq 12345678901234567890")]
    [InlineData("title eq \"say \\\"hi\\\" \\\\ it's\"", "title eq \"say \\\"hi\\\" \\\\ it's\"")]
    [InlineData("title eq 'it\\'s'", "title eq \"it's\"")]
    [InlineData("title eq \"line\\nbreak\\ttab\"", "title eq \"line\\nbreak\\ttab\"")]
    [InlineData("title eq \"caf\\u00e9\"", "title eq \"café\"")]
    [InlineData("title eq \"Zoë\"", "title eq \"Zoë\"")]
    [InlineData("title eq \"\"", "title eq \"\"")]
    [InlineData("title eq \"a and b or (c)\"", "title eq \"a and b or (c)\"")]
    // dates and times
    [InlineData("closeDate ge 2024-05-01", "closeDate ge \"2024-05-01\"")]
    [InlineData("occurredAt lt 2024-05-01T10:00:00Z", "occurredAt lt \"2024-05-01T10:00:00.0000000Z\"")]
    [InlineData("occurredAt lt 2024-05-01T12:00:00+02:00", "occurredAt lt \"2024-05-01T10:00:00.0000000Z\"")]
    [InlineData("occurredAt lt 2024-05-01T10:00Z", "occurredAt lt \"2024-05-01T10:00:00.0000000Z\"")]
    [InlineData("occurredAt lt 2024-05-01T10:00:00.1234567Z", "occurredAt lt \"2024-05-01T10:00:00.1234567Z\"")]
    [InlineData("occurredAt lt 2024-05-01T10:00:00", "occurredAt lt \"2024-05-01T10:00:00.0000000Z\"")]
    [InlineData("createdAt ge \"2024-05-01\"", "createdAt ge \"2024-05-01\"")]
    [InlineData("createdAt lt '2024-05-01T12:00:00+02:00'", "createdAt lt \"2024-05-01T10:00:00.0000000Z\"")]
    [InlineData("createdAt in (2024-05-01, now)", "createdAt in [\"2024-05-01\",\"2024-06-15T13:45:30.0000000Z\"]")]
    [InlineData("updatedAt eq null", "updatedAt eq null")]
    // relative times, from 2024-06-15T13:45:30Z
    [InlineData("createdAt ge now", "createdAt ge \"2024-06-15T13:45:30.0000000Z\"")]
    [InlineData("createdAt ge now-30d", "createdAt ge \"2024-05-16T13:45:30.0000000Z\"")]
    [InlineData("createdAt ge NOW-30D", "createdAt ge \"2024-05-16T13:45:30.0000000Z\"")]
    [InlineData("createdAt lt now+2h", "createdAt lt \"2024-06-15T15:45:30.0000000Z\"")]
    [InlineData("createdAt ge now-15m", "createdAt ge \"2024-06-15T13:30:30.0000000Z\"")]
    [InlineData("createdAt ge now-1w", "createdAt ge \"2024-06-08T13:45:30.0000000Z\"")]
    [InlineData("closeDate eq today", "closeDate eq \"2024-06-15\"")]
    [InlineData("closeDate ge today-7d", "closeDate ge \"2024-06-08\"")]
    [InlineData("closeDate le today+1w", "closeDate le \"2024-06-22\"")]
    // and, or, not, parentheses
    [InlineData("a eq 1 and b eq 2 and c eq 3", "and(a eq 1, b eq 2, c eq 3)")]
    [InlineData("a eq 1 and b eq 2 or c eq 3", "or(and(a eq 1, b eq 2), c eq 3)")]
    [InlineData("a eq 1 or b eq 2 and c eq 3", "or(a eq 1, and(b eq 2, c eq 3))")]
    [InlineData("not a eq 1 and b eq 2", "and(not(a eq 1), b eq 2)")]
    [InlineData("not (a eq 1 or b eq 2)", "not(or(a eq 1, b eq 2))")]
    [InlineData("not not a eq 1", "not(not(a eq 1))")]
    [InlineData("(a eq 1 or b eq 2) and c eq 3", "and(or(a eq 1, b eq 2), c eq 3)")]
    [InlineData("((a eq 1))", "a eq 1")]
    [InlineData("A eq 1 AND NOT b EXISTS Or c In (1)", "or(and(A eq 1, not(b exists)), c in [1])")]
    [InlineData("(a eq 1)and(b eq 2)", "and(a eq 1, b eq 2)")]
    [InlineData("  a \t eq\n1  ", "a eq 1")]
    public void Parses_into_the_expected_tree(string text, string expected)
    {
        Assert.Equal(expected, Show(FilterLanguage.Parse(text, Now)));
    }

    [Fact]
    public void Values_are_the_json_the_sdk_builders_produce()
    {
        var parsed = (Comparison)FilterLanguage.Parse("title eq \"say \\\"hi\\\"\"", Now);
        var built = (Comparison)Filter.Eq("title", "say \"hi\"");
        Assert.Equal(built.ValueJson, parsed.ValueJson);

        Assert.Equal(((Comparison)Filter.Compare("s", FilterOperator.In, new object?[] { "a", 1, null })).ValueJson,
            ((Comparison)FilterLanguage.Parse("s in (\"a\", 1, null)", Now)).ValueJson);
        Assert.Null(((Comparison)FilterLanguage.Parse("status eq null", Now)).ValueJson);
        Assert.Null(((Comparison)FilterLanguage.Parse("email exists", Now)).ValueJson);
    }

    [Fact]
    public void Today_is_the_date_of_now_in_the_offset_it_carries()
    {
        var eveningInChicago = new DateTimeOffset(2024, 6, 15, 23, 30, 0, TimeSpan.FromHours(-5));

        Assert.Equal("closeDate eq \"2024-06-15\"", Show(FilterLanguage.Parse("closeDate eq today", eveningInChicago)));
        Assert.Equal("createdAt ge \"2024-06-16T04:30:00.0000000Z\"", Show(FilterLanguage.Parse("createdAt ge now", eveningInChicago)));
    }

    [Theory]
    [InlineData("", 0, "The filter is empty")]
    [InlineData("   ", 3, "The filter is empty")]
    [InlineData("lastName", 8, "Expected an operator after 'lastName'")]
    [InlineData("lastName eq", 11, "Expected a value after 'eq'")]
    [InlineData("lastName eq \"Ada", 12, "Unterminated string")]
    [InlineData("lastName eq 'Ada\\'", 12, "Unterminated string")]
    [InlineData("lastName equals \"Ada\"", 9, "Unknown operator 'equals'")]
    [InlineData("lastName = \"Ada\"", 9, "Unknown operator '='")]
    [InlineData("email not exists", 6, "Unknown operator 'not'")]
    [InlineData("lastName eq Ada", 12, "Unquoted text 'Ada'")]
    [InlineData("lastName eq \"Ada\" garbage", 18, "Expected 'and', 'or' or the end of the filter instead of 'garbage'")]
    [InlineData("a eq 1 (b eq 2)", 7, "Expected 'and', 'or' or the end of the filter instead of '('")]
    [InlineData("createdAt ge now - 30d", 17, "instead of '-'")]
    [InlineData("(lastName eq \"Ada\"", 0, "Unclosed '('")]
    [InlineData("a eq 1 and (b eq 2 or c eq 3", 11, "Unclosed '('")]
    [InlineData("(a eq 1 b eq 2)", 8, "Expected 'and', 'or' or ')' instead of 'b'")]
    [InlineData("lastName eq \"Ada\")", 17, "Unexpected ')' without a matching '('")]
    [InlineData("status in \"open\"", 10, "Expected '(' after 'in'")]
    [InlineData("status in", 9, "Expected '(' after 'in'")]
    [InlineData("status in ()", 11, "'in' needs at least one")]
    [InlineData("status in (\"open\" \"closed\")", 18, "Expected ',' or ')' in the list")]
    [InlineData("status in (\"open\",", 10, "Unclosed '('")]
    [InlineData("status in (\"open\", )", 19, "Expected a value after 'in' instead of ')'")]
    [InlineData("closeDate ge 2024-13-01", 13, "Invalid date '2024-13-01'")]
    [InlineData("closeDate ge 2024-02-30", 13, "Invalid date '2024-02-30'")]
    [InlineData("occurredAt ge 2024-05-01T25:00:00Z", 14, "Invalid date and time")]
    [InlineData("occurredAt ge 2024-05-01Tnoon", 14, "Invalid date and time")]
    [InlineData("createdAt ge now-30x", 13, "Invalid relative time 'now-30x'")]
    [InlineData("createdAt ge now-d", 13, "Invalid relative time")]
    [InlineData("createdAt ge today-2h", 13, "'today' moves by days or weeks")]
    [InlineData("createdAt ge now-9999999d", 13, "out of range")]
    [InlineData("createdAt ge now-999999w", 13, "out of range")]
    [InlineData("a eq 1 and", 10, "Expected a field name after 'and'")]
    [InlineData("a eq 1 and or b eq 2", 11, "Expected a field name after 'and' instead of 'or'")]
    [InlineData("not", 3, "Expected a field name after 'not'")]
    [InlineData("()", 1, "Expected a field name after '(' instead of ')'")]
    [InlineData("\"lastName\" eq 1", 0, "Expected a field name instead of \"lastName\"")]
    [InlineData("1abc eq 1", 0, "Invalid field name '1abc'")]
    [InlineData("a..b eq 1", 0, "Invalid field name 'a..b'")]
    [InlineData("custom. eq 1", 0, "Invalid field name")]
    [InlineData("a eq 1 # b", 7, "Unexpected character '#'")]
    [InlineData("a eq \"x\\q\"", 7, "Unknown escape '\\q'")]
    [InlineData("a eq \"\\u12\"", 6, "four hex digits")]
    [InlineData("a eq 1.2.3", 5, "Invalid value '1.2.3'")]
    [InlineData("a eq 99999999999999999999999999999999", 5, "out of range")]
    [InlineData("a eq (1, 2)", 5, "only 'in' takes a list")]
    [InlineData("a eq and", 5, "Expected a value after 'eq' instead of 'and'")]
    [InlineData("a startswith 5", 13, "'startswith' needs text")]
    [InlineData("a gt true", 5, "'gt' compares with a number, text or a date")]
    [InlineData("a lt null", 5, "'lt' compares with a number, text or a date")]
    [InlineData("a contains null", 11, "'contains' needs text or a number")]
    [InlineData("createdAt contains \"2024\"", 10, "'createdAt' does not support 'contains'")]
    [InlineData("updatedAt startswith \"2024\"", 10, "'updatedAt' does not support 'startswith'")]
    [InlineData("createdAt ge \"yesterday\"", 13, "'createdAt' compares with a date")]
    [InlineData("createdAt ge 5", 13, "'createdAt' compares with a date")]
    [InlineData("createdAt in (now, 5)", 19, "'createdAt' compares with a date")]
    [InlineData("version eq \"2\"", 11, "'version' compares with a number")]
    [InlineData("id eq 42", 6, "'id' compares with text in quotes")]
    public void A_malformed_filter_names_where_it_goes_wrong(string text, int position, string problem)
    {
        var error = Assert.Throws<FilterSyntaxException>(() => FilterLanguage.Parse(text, Now));

        Assert.Equal(position, error.Position);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.EndsWith($" at position {position}", error.Message, StringComparison.Ordinal);
        Assert.Equal("filter", error.Code);
    }

    [Fact]
    public void The_message_says_what_was_expected_and_where()
    {
        var error = Assert.Throws<FilterSyntaxException>(() => FilterLanguage.Parse("lastName eq \"Ada\" and age eq", Now));

        Assert.Equal("Expected a value after 'eq' at position 28", error.Message);
        Assert.Equal("Expected a value after 'eq'", error.Problem);
        Assert.IsAssignableFrom<CrmException>(error);
    }

    [Fact]
    public void A_text_longer_than_4000_characters_is_refused()
    {
        var ok = "title eq \"" + new string('x', FilterLanguage.MaxLength - 11) + "\"";
        Assert.Equal(FilterLanguage.MaxLength, ok.Length);
        FilterLanguage.Parse(ok, Now);

        var error = Assert.Throws<FilterSyntaxException>(() => FilterLanguage.Parse(ok + " ", Now));
        Assert.Equal(4000, error.Position);
        Assert.Contains("longer than 4000 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_than_100_comparisons_are_refused_at_the_101st()
    {
        // Each "a eq 1" plus " or " takes 10 characters.
        FilterLanguage.Parse(string.Join(" or ", Enumerable.Repeat("a eq 1", 100)), Now);

        var error = Assert.Throws<FilterSyntaxException>(() => FilterLanguage.Parse(string.Join(" or ", Enumerable.Repeat("a eq 1", 101)), Now));
        Assert.Equal(1000, error.Position);
        Assert.Contains("more than 100 comparisons", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parentheses_and_not_nest_at_most_32_deep()
    {
        FilterLanguage.Parse(new string('(', 32) + "a eq 1" + new string(')', 32), Now);
        FilterLanguage.Parse(string.Concat(Enumerable.Repeat("not ", 32)) + "a eq 1", Now);

        var parens = Assert.Throws<FilterSyntaxException>(() => FilterLanguage.Parse(new string('(', 33) + "a eq 1" + new string(')', 33), Now));
        Assert.Equal(32, parens.Position);
        var nots = Assert.Throws<FilterSyntaxException>(() => FilterLanguage.Parse(string.Concat(Enumerable.Repeat("not ", 33)) + "a eq 1", Now));
        Assert.Equal(128, nots.Position);
        Assert.Contains("deeper than 32 levels", nots.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void And_or_groups_nest_at_most_32_deep()
    {
        Assert.Equal(32, DepthOf(FilterLanguage.Parse(Alternating(32), Now)));

        var error = Assert.Throws<FilterSyntaxException>(() => FilterLanguage.Parse(Alternating(33), Now));
        Assert.Equal(Alternating(33).IndexOf(" and ", StringComparison.Ordinal) + 1, error.Position);
        Assert.Contains("deeper than 32 levels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_input_only_ever_fails_with_a_filter_syntax_error()
    {
        string[] pieces =
        [
            "a", "custom.x", "eq", "ne", "in", "exists", "contains", "startswith", "lt", "and", "or", "not", "(", ")", ",",
            "\"s\"", "'t'", "\"", "'", "\\", "1", "-2.5", "2024-05-01", "2024-05-01T10:00:00Z", "now-1d", "today", "true",
            "null", "=", "#", " ", "  ", "\t", "é", "1.2.3", "now-", "2024-99-99",
        ];
        var random = new Random(20240615);
        for (var i = 0; i < 20_000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(0, 12)).Select(_ => pieces[random.Next(pieces.Length)] + (random.Next(3) == 0 ? "" : " ")));
            try
            {
                FilterLanguage.Parse(text, Now);
            }
            catch (FilterSyntaxException error)
            {
                Assert.InRange(error.Position, 0, text.Length);
            }
        }
    }

    [Fact]
    public void Every_example_in_the_docs_parses()
    {
        var examples = DocBlocks("filter").SelectMany(block => block.Split('\n')).Where(line => line.Trim().Length > 0).ToList();

        Assert.True(examples.Count >= 20, $"Found only {examples.Count} examples in docs/filters.md.");
        foreach (var example in examples)
        {
            var error = Record.Exception(() => FilterLanguage.Parse(example, Now));
            Assert.True(error is null, $"'{example}': {error?.Message}");
        }
    }

    [Fact]
    public void Every_error_in_the_docs_reads_as_documented()
    {
        var rows = DocText().Split('\n')
            .Select(line => System.Text.RegularExpressions.Regex.Match(line, @"^\| (`(?<filter>[^`]*)`|_\(empty\)_) \| `(?<message>[^`]*)` \|$"))
            .Where(match => match.Success)
            .ToList();

        Assert.True(rows.Count >= 10, $"Found only {rows.Count} errors in docs/filters.md.");
        foreach (var row in rows)
        {
            var error = Assert.Throws<FilterSyntaxException>(() => FilterLanguage.Parse(row.Groups["filter"].Value, Now));
            Assert.Equal(row.Groups["message"].Value, error.Message);
        }
    }

    private static string DocText()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "docs", "filters.md");
            if (File.Exists(path))
            {
                return File.ReadAllText(path).ReplaceLineEndings("\n");
            }
        }

        throw new FileNotFoundException("docs/filters.md is not above the test's directory.");
    }

    private static IEnumerable<string> DocBlocks(string language) =>
        System.Text.RegularExpressions.Regex.Matches(DocText(), "```" + language + "\n(?<body>.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Select(match => match.Groups["body"].Value);

    /// <summary><c>f0 eq 0 and (f1 eq 1 or (f2 eq 2 and (...)))</c>: a tree <paramref name="levels"/> and/or levels deep.</summary>
    internal static string Alternating(int levels)
    {
        var text = $"f{levels - 1} eq 0 {(levels % 2 == 0 ? "or" : "and")} g eq 0";
        for (var level = levels - 2; level >= 0; level--)
        {
            text = $"f{level} eq 0 {(level % 2 == 0 ? "and" : "or")} ({text})";
        }

        return text;
    }

    private static int DepthOf(Filter filter) => filter switch
    {
        AndFilter and => 1 + and.Parts.Max(DepthOf),
        OrFilter or => 1 + or.Parts.Max(DepthOf),
        NotFilter not => 1 + DepthOf(not.Inner),
        _ => 0,
    };
}

/// <summary>Filters written in the language, run by the engine over real records.</summary>
public sealed class FilterLanguageQueryTests(EngineFixture fixture)
{
    private static Task<Page<CrmRecord>> WhereAsync(ICrmClient crm, string filter, string type = RecordTypes.Contact) =>
        crm.QueryAsync(type, new RecordQuery { Filter = FilterLanguage.Parse(filter, DateTimeOffset.UtcNow) });

    private static async Task<string[]> NamesAsync(ICrmClient crm, string filter) =>
        [.. (await WhereAsync(crm, filter)).Items.Select(r => r.GetString("lastName") ?? r.GetString("firstName")!)];

    /// <summary>Three contacts: Lovelace (lead, vip), Baker (customer), and Carter (no email).</summary>
    private async Task<ICrmClient> PeopleAsync()
    {
        var crm = fixture.NewTenant();
        await crm.DefineCustomFieldAsync(new CustomFieldDefinition { RecordType = RecordTypes.Contact, Name = "score", Type = CustomFieldType.Number });
        await crm.DefineCustomFieldAsync(new CustomFieldDefinition { RecordType = RecordTypes.Contact, Name = "region", Type = CustomFieldType.Choice, Choices = ["EU", "US"] });
        await crm.CreateAsync(RecordTypes.Contact, Obj("""
            { "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "lifecycleStage": "lead",
              "tags": ["vip", "eu"], "custom": { "score": 90, "region": "EU" } }
            """), id: "ada");
        await crm.CreateAsync(RecordTypes.Contact, Obj("""
            { "firstName": "Bob", "lastName": "Baker", "email": "bob@example.org", "lifecycleStage": "customer",
              "tags": ["us"], "custom": { "score": 45.5, "region": "US" } }
            """), id: "bob");
        await crm.CreateAsync(RecordTypes.Contact, Obj("""
            { "firstName": "Cora", "lastName": "Carter", "phone": "+1 650 253 0000", "lifecycleStage": "mql" }
            """), id: "cora");
        return crm;
    }

    [Fact]
    public async Task Eq_and_ne_compare_text_exactly()
    {
        var crm = await PeopleAsync();

        Assert.Equal(["Lovelace"], await NamesAsync(crm, "lastName eq \"Lovelace\""));
        Assert.Empty(await NamesAsync(crm, "lastName eq \"lovelace\""));
        Assert.Equal(["Baker", "Carter"], await NamesAsync(crm, "lifecycleStage ne \"lead\""));
        Assert.Equal(["Carter"], await NamesAsync(crm, "email eq null"));
    }

    [Fact]
    public async Task Lt_le_gt_ge_compare_numbers_numerically()
    {
        var crm = await PeopleAsync();

        Assert.Equal(["Lovelace"], await NamesAsync(crm, "custom.score gt 45.5"));
        Assert.Equal(["Lovelace", "Baker"], await NamesAsync(crm, "custom.score ge 45.5"));
        Assert.Equal(["Baker"], await NamesAsync(crm, "custom.score lt 90"));
        Assert.Equal(["Lovelace", "Baker"], await NamesAsync(crm, "custom.score le 90"));
        Assert.Equal(["Baker", "Carter"], await NamesAsync(crm, "lastName lt \"Lovelace\""));
    }

    [Fact]
    public async Task In_matches_any_listed_value()
    {
        var crm = await PeopleAsync();

        Assert.Equal(["Baker", "Carter"], await NamesAsync(crm, "lifecycleStage in (\"customer\", \"mql\")"));
        Assert.Equal(["Lovelace", "Carter"], await NamesAsync(crm, "id in (\"ada\", \"cora\", \"nobody\")"));
    }

    [Fact]
    public async Task Contains_and_startswith_ignore_case()
    {
        var crm = await PeopleAsync();

        Assert.Equal(["Lovelace"], await NamesAsync(crm, "lastName contains \"LOVE\""));
        Assert.Equal(["Baker"], await NamesAsync(crm, "email startswith \"BOB@\""));
        Assert.Equal(["Lovelace", "Baker"], await NamesAsync(crm, "email contains \"@example.\""));
    }

    [Fact]
    public async Task Tags_contains_is_membership()
    {
        var crm = await PeopleAsync();

        Assert.Equal(["Lovelace"], await NamesAsync(crm, "tags contains \"VIP\""));
        Assert.Empty(await NamesAsync(crm, "tags contains \"vi\""));
        Assert.Equal(["Baker", "Carter"], await NamesAsync(crm, "not tags contains \"vip\""));
    }

    [Fact]
    public async Task Exists_and_not_exists()
    {
        var crm = await PeopleAsync();

        Assert.Equal(["Lovelace", "Baker"], await NamesAsync(crm, "email exists"));
        Assert.Equal(["Carter"], await NamesAsync(crm, "not email exists"));
        Assert.Equal(["Carter"], await NamesAsync(crm, "phone exists"));
    }

    [Fact]
    public async Task Custom_fields_are_filtered_under_custom()
    {
        var crm = await PeopleAsync();

        Assert.Equal(["Lovelace"], await NamesAsync(crm, "custom.region eq \"EU\""));
        Assert.Equal(["Lovelace", "Baker"], await NamesAsync(crm, "custom.region exists"));
        Assert.Equal(["Baker"], await NamesAsync(crm, "custom.region in (\"US\") and custom.score lt 50"));
    }

    [Fact]
    public async Task Consent_is_filtered_by_purpose_and_channel()
    {
        var crm = await PeopleAsync();
        await crm.SetConsentAsync("ada", new ConsentChange { Purpose = "marketing", Channel = Channels.Email, Status = ConsentStatus.Granted, Source = "form" });
        await crm.SetConsentAsync("bob", new ConsentChange { Purpose = "marketing", Channel = Channels.Email, Status = ConsentStatus.Granted, Source = "form", At = DateTimeOffset.UtcNow.AddHours(-1) });
        await crm.SetConsentAsync("bob", new ConsentChange { Purpose = "marketing", Channel = Channels.Email, Status = ConsentStatus.Withdrawn, Source = "unsubscribe link" });
        await crm.SetConsentAsync("cora", new ConsentChange { Purpose = "newsletter", Channel = Channels.Sms, Status = ConsentStatus.Pending, Source = "keyword" });

        Assert.Equal(["Lovelace"], await NamesAsync(crm, "consent.marketing.email eq \"granted\""));
        Assert.Equal(["Baker"], await NamesAsync(crm, "consent.marketing.email eq \"withdrawn\""));
        Assert.Equal(["Baker", "Carter"], await NamesAsync(crm, "not consent.marketing.email eq \"granted\""));
        Assert.Equal(["Carter"], await NamesAsync(crm, "consent.newsletter.sms in (\"pending\", \"granted\")"));
        Assert.Equal(["Lovelace", "Baker"], await NamesAsync(crm, "consent.marketing exists"));
    }

    [Fact]
    public async Task Relative_times_compare_with_createdAt_and_updatedAt()
    {
        var crm = await PeopleAsync();

        Assert.Equal(["Lovelace", "Baker", "Carter"], await NamesAsync(crm, "createdAt ge now-1h"));
        Assert.Equal(["Lovelace", "Baker", "Carter"], await NamesAsync(crm, "createdAt ge today-1d and createdAt lt now+1m"));
        Assert.Empty(await NamesAsync(crm, "createdAt lt now-1h"));
        Assert.Empty(await NamesAsync(crm, "createdAt gt now+15m"));
        Assert.Empty(await NamesAsync(crm, "createdAt lt today-1w"));

        var beforeUpdate = DateTimeOffset.UtcNow;
        await crm.UpdateAsync(RecordTypes.Contact, "bob", Obj("""{ "title": "CTO" }"""));
        var since = FieldValidator.FormatTime(beforeUpdate);
        Assert.Equal(["Baker"], await NamesAsync(crm, $"updatedAt ge {since}"));
        Assert.Equal(["Baker"], await NamesAsync(crm, $"updatedAt ge \"{since}\" and version eq 2"));
        Assert.Equal(["Lovelace", "Carter"], await NamesAsync(crm, $"updatedAt lt {since}"));
    }

    [Fact]
    public async Task Relative_times_compare_with_date_and_time_fields()
    {
        var crm = fixture.NewTenant();
        var now = DateTimeOffset.UtcNow;
        foreach (var (subject, daysAgo) in new[] { ("old call", 10), ("recent call", 1), ("scheduled call", -2) })
        {
            await crm.CreateAsync(RecordTypes.Interaction, new JsonObject
            {
                ["kind"] = "call",
                ["subject"] = subject,
                ["occurredAt"] = FieldValidator.FormatTime(now.AddDays(-daysAgo)),
            });
        }

        foreach (var (name, closeDate) in new[] { ("lost", now.AddDays(-30)), ("won", now.AddDays(-3)), ("open", now.AddDays(20)) })
        {
            await crm.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = name, ["closeDate"] = closeDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) });
        }

        async Task<string[]> Subjects(string filter) => [.. (await WhereAsync(crm, filter, RecordTypes.Interaction)).Items.Select(r => r.GetString("subject")!)];
        async Task<string[]> Deals(string filter) => [.. (await WhereAsync(crm, filter, RecordTypes.Deal)).Items.Select(r => r.GetString("name")!)];

        Assert.Equal(["recent call", "scheduled call"], await Subjects("occurredAt ge now-7d"));
        Assert.Equal(["recent call"], await Subjects("occurredAt ge now-7d and occurredAt le now"));
        Assert.Equal(["old call"], await Subjects("occurredAt lt now-1w"));
        Assert.Equal(["won", "open"], await Deals("closeDate ge today-7d"));
        Assert.Equal(["lost", "won"], await Deals("closeDate lt today"));
    }

    [Fact]
    public async Task And_or_not_combine_with_the_usual_precedence()
    {
        var crm = await PeopleAsync();

        Assert.Equal(["Lovelace", "Carter"], await NamesAsync(crm, "lifecycleStage eq \"lead\" or lifecycleStage eq \"mql\" and not email exists"));
        Assert.Equal(["Lovelace"], await NamesAsync(crm, "(lifecycleStage eq \"lead\" or lifecycleStage eq \"mql\") and email exists"));
        Assert.Equal(["Baker"], await NamesAsync(crm, "not (lifecycleStage eq \"lead\" or lifecycleStage eq \"mql\")"));
        Assert.Equal(["Lovelace", "Baker", "Carter"], await NamesAsync(crm, "email exists or not email exists"));
        Assert.Empty(await NamesAsync(crm, "email exists and not email exists"));
    }

    [Fact]
    public async Task Record_columns_filter_and_sort()
    {
        var crm = await PeopleAsync();

        Assert.Equal(["Baker"], await NamesAsync(crm, "id eq \"bob\""));
        Assert.Equal(["Baker", "Carter"], await NamesAsync(crm, "id gt \"ada\""));
        Assert.Equal(["Lovelace", "Baker", "Carter"], await NamesAsync(crm, "version eq 1 and id exists"));

        var newestFirst = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { SortBy = "createdAt", Descending = true, Limit = 2 });
        Assert.Equal(["cora", "bob"], newestFirst.Items.Select(r => r.Id));
        var rest = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { SortBy = "createdAt", Descending = true, Limit = 2, Cursor = newestFirst.Next });
        Assert.Equal(["ada"], rest.Items.Select(r => r.Id));
        Assert.Null(rest.Next);
    }

    [Fact]
    public void A_filter_error_keeps_its_position_across_the_cluster()
    {
        var serializer = fixture.Engine.Services.GetRequiredService<Orleans.Serialization.Serializer>();
        var error = Assert.Throws<FilterSyntaxException>(() => FilterLanguage.Parse("lastName eq", DateTimeOffset.UtcNow));

        var copy = serializer.Deserialize<FilterSyntaxException>(serializer.SerializeToArray(error))!;

        Assert.Equal((error.Code, error.Position, error.Problem, error.Message), (copy.Code, copy.Position, copy.Problem, copy.Message));
    }

    [Fact]
    public async Task A_filter_at_the_nesting_limit_runs_in_the_store()
    {
        var crm = await PeopleAsync();

        var page = await WhereAsync(crm, FilterLanguageTests.Alternating(32));

        Assert.Empty(page.Items);
    }
}
