using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Acornima;
using Acornima.Ast;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;

namespace Crm.Engine.Rules.JavaScript;

/// <summary>
/// Compiles a JavaScript rule module into a <see cref="JavaScriptRule"/>: checks its shape (one
/// <c>export default</c> of an expression, no <c>import</c>, no other export), rewrites it into a script prepared once
/// for every engine, and runs its top level once in a sandbox to read and check what it declares
/// (<c>on</c>, <c>stage</c>, <c>fields</c>, <c>priority</c>, <c>cron</c>, <c>name</c>, <c>description</c>, <c>when</c>,
/// <c>then</c>). Compiled rules are cached by source text: the limits of the first compile bound that one run of the
/// top level, and every evaluation is bounded by its own.
/// </summary>
internal sealed partial class JavaScriptRuleCompiler
{
    /// <summary>Compiled rules kept; past this the cache drops a quarter of its entries.</summary>
    public const int MaxCachedRules = 1_024;

    /// <summary>The name compiled scripts carry in locations and stack traces.</summary>
    internal const string SourceName = "rule.js";

    // The rewritten script starts on the module's first line, so line numbers stay those of the source; columns of
    // the first line shift by this prefix.
    internal const string ScriptPrefix = JavaScriptSandbox.EntryPoint + "(function () { 'use strict'; ";

    private static readonly string[] Keys = ["on", "stage", "fields", "priority", "cron", "name", "description", "when", "then"];

    private readonly ConcurrentDictionary<string, JavaScriptRule> _cache = new(StringComparer.Ordinal);

    /// <summary>Compiles <paramref name="source"/>, or returns the rule compiled from the same text before.</summary>
    /// <exception cref="ValidationException">On <c>source</c>: the module is too long, does not parse, has the wrong shape, throws, or declares something invalid; the message names the line and column.</exception>
    public JavaScriptRule Compile(string source, JavaScriptLimits limits)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(limits);
        if (source.Length > limits.MaxScriptLength)
        {
            throw new ValidationException("source", $"must be at most {limits.MaxScriptLength:N0} characters");
        }

        if (_cache.TryGetValue(source, out var cached))
        {
            return cached;
        }

        var rule = CompileUncached(source, limits.Values);
        if (_cache.Count >= MaxCachedRules)
        {
            foreach (var key in _cache.Keys.Take(MaxCachedRules / 4))
            {
                _cache.TryRemove(key, out _);
            }
        }

        return _cache.GetOrAdd(source, rule);
    }

    private static JavaScriptRule CompileUncached(string source, JavaScriptLimitValues limits)
    {
        var module = Parse(source);
        var export = FindExport(module);
        var script = Prepare(Rewrite(source, export));
        var metadata = ReadMetadata(script, (Expression)export.Declaration, limits);
        return new JavaScriptRule(source, script, metadata);
    }

    private static Module Parse(string source)
    {
        Node? forbidden = null;
        var options = new ParserOptions
        {
            AllowHashBang = false,
            OnNode = (Node node, in OnNodeContext _) =>
            {
                if (forbidden is null && (node is ImportExpression || node is MetaProperty { Meta.Name: "import" }))
                {
                    forbidden = node;
                }
            },
        };

        Module module;
        try
        {
            module = new Parser(options).ParseModule(source, SourceName);
        }
        catch (ParseErrorException ex)
        {
            throw Invalid($"{ex.Description} ({ex.LineNumber}:{ex.Column + 1})");
        }
        catch (InsufficientExecutionStackException)
        {
            throw Invalid("the module nests too deeply to be parsed");
        }

        if (forbidden is not null)
        {
            throw Invalid("a rule cannot import modules: it is one self-contained module", forbidden);
        }

        return module;
    }

    private static ExportDefaultDeclaration FindExport(Module module)
    {
        ExportDefaultDeclaration? export = null;
        foreach (var statement in module.Body)
        {
            switch (statement)
            {
                case ImportDeclaration:
                    throw Invalid("a rule cannot import modules: it is one self-contained module", statement);
                case ExportDefaultDeclaration found:
                    export = found;
                    break;
                case ExportDeclaration:
                    throw Invalid("a rule exports only its default: export default { on: …, then: … }", statement);
            }
        }

        if (export is null)
        {
            throw Invalid("a rule must export default { on: …, then: … }", module);
        }

        if (export.Declaration is not Expression)
        {
            throw Invalid("export default must be an object: export default { on: …, then: … }", export);
        }

        return export;
    }

    /// <summary>
    /// The module as a script: the text before the export, the exported expression kept in a constant, the text after
    /// it, and the constant returned, all in a strict function handed to the sandbox's entry point. No line is added
    /// before the module's last, so a runtime error names the source's line.
    /// </summary>
    private static string Rewrite(string source, ExportDefaultDeclaration export)
    {
        var name = "__crmExport";
        for (var n = 1; source.Contains(name, StringComparison.Ordinal); n++)
        {
            name = "__crmExport" + n;
        }

        var expression = export.Declaration;
        return new System.Text.StringBuilder(ScriptPrefix.Length + source.Length + 64)
            .Append(ScriptPrefix)
            .Append(source, 0, export.Start)
            .Append("const ").Append(name).Append(" = (")
            .Append(source, expression.Start, expression.End - expression.Start)
            .Append(");")
            .Append(source, export.End, source.Length - export.End)
            .Append("\nreturn ").Append(name).Append("; });")
            .ToString();
    }

    private static Prepared<Script> Prepare(string script)
    {
        try
        {
            return Jint.Engine.PrepareScript(script, SourceName, strict: true);
        }
        catch (ScriptPreparationException ex) when (ex.InnerException is ParseErrorException parse)
        {
            var column = parse.LineNumber == 1 ? Math.Max(1, parse.Column + 1 - ScriptPrefix.Length) : parse.Column + 1;
            throw Invalid($"{parse.Description} ({parse.LineNumber}:{column})");
        }
    }

    private static JavaScriptRuleMetadata ReadMetadata(Prepared<Script> script, Expression export, JavaScriptLimitValues limits)
    {
        var sandbox = new JavaScriptSandbox(limits, tenant: null);
        Reading read;
        try
        {
            read = sandbox.ReadModule(script, Read);
        }
        catch (Exception ex) when (JavaScriptFailures.Translate(ex) is { } failure)
        {
            throw Invalid($"running the module's top level failed: {failure.Message}");
        }

        if (read.Error is not null)
        {
            throw Invalid(read.Error, read.Key is { } key ? PropertyNode(export, key) ?? export : export);
        }

        return read.Metadata!;
    }

    /// <summary>What the module declares, or what is wrong with it and the property at fault.</summary>
    private readonly record struct Reading(JavaScriptRuleMetadata? Metadata, string? Error = null, string? Key = null);

    private static Reading Refuse(string error, string? key) => new(null, error, key);

    private static Reading Read(ObjectInstance rule)
    {
        foreach (var key in rule.GetOwnPropertyKeys(Types.String))
        {
            if (Array.IndexOf(Keys, key.ToString()) < 0)
            {
                return Refuse($"unknown property '{key}'; a rule declares {string.Join(", ", Keys)}", key.ToString());
            }
        }

        if (rule.Get("on") is not JsString { } onValue || !TriggerPattern().IsMatch(onValue.ToString()))
        {
            return Refuse("on must name the trigger, e.g. \"deal.stageChanged\", \"contact.updated\" or \"schedule\"", "on");
        }

        var on = onValue.ToString();
        var stage = RuleStage.React;
        switch (rule.Get("stage"))
        {
            case var v when v.IsUndefined():
                break;
            case JsString s when s.ToString() is "validate" or "enrich" or "react":
                stage = Enum.Parse<RuleStage>(s.ToString(), ignoreCase: true);
                break;
            default:
                return Refuse("stage must be \"validate\", \"enrich\" or \"react\"", "stage");
        }

        var fields = new List<string>();
        switch (rule.Get("fields"))
        {
            case var v when v.IsUndefined():
                break;
            case JsArray array when array.Length <= 100:
                foreach (var item in array)
                {
                    if (item is not JsString field || field.Length is 0 or > 100)
                    {
                        return Refuse("fields must be an array of field names", "fields");
                    }

                    fields.Add(field.ToString());
                }

                break;
            default:
                return Refuse("fields must be an array of at most 100 field names", "fields");
        }

        var priority = 100;
        switch (rule.Get("priority"))
        {
            case var v when v.IsUndefined():
                break;
            case JsNumber n when double.IsInteger(n.AsNumber()) && Math.Abs(n.AsNumber()) <= 1_000_000:
                priority = (int)n.AsNumber();
                break;
            default:
                return Refuse("priority must be a whole number from -1,000,000 to 1,000,000", "priority");
        }

        string? cron = null;
        switch (rule.Get("cron"))
        {
            case var v when v.IsUndefined():
                if (on == "schedule") return Refuse("a schedule rule needs a cron expression (5 fields), e.g. cron: \"0 9 * * 1-5\"", "on");
                break;
            case JsString s when on == "schedule" && s.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 5:
                cron = s.ToString();
                break;
            case JsString when on == "schedule":
                return Refuse("cron must have 5 fields (minute hour day-of-month month day-of-week), e.g. \"0 9 * * 1-5\"", "cron");
            default:
                return Refuse("cron applies only to on: \"schedule\", as a string of 5 fields", "cron");
        }

        if (!OptionalText(rule, "name", 200, out var name)) return Refuse("name must be a string of at most 200 characters", "name");
        if (!OptionalText(rule, "description", 2_000, out var description)) return Refuse("description must be a string of at most 2,000 characters", "description");

        var when = rule.Get("when");
        if (!when.IsUndefined() && !when.IsCallable())
        {
            return Refuse("when must be a function of the event, e.g. when: e => e.after.amount > 10000", "when");
        }

        if (!rule.Get("then").IsCallable())
        {
            return Refuse("then must be a function, e.g. then: (e, act) => act.addTag(\"big\")", rule.HasOwnProperty("then") ? "then" : null);
        }

        return new Reading(new JavaScriptRuleMetadata(on, stage, fields, priority, cron, name, description));
    }

    private static bool OptionalText(ObjectInstance rule, string key, int maxLength, out string? text)
    {
        text = null;
        var value = rule.Get(key);
        if (value.IsUndefined()) return true;
        if (value is not JsString s || s.Length > maxLength) return false;
        text = s.ToString();
        return true;
    }

    private static Node? PropertyNode(Expression export, string key)
    {
        if (export is not ObjectExpression literal) return null;
        foreach (var node in literal.Properties)
        {
            if (node is Property { Computed: false } property
                && (property.Key is Identifier { Name: var name } && name == key || property.Key is StringLiteral { Value: var text } && text == key))
            {
                return property;
            }
        }

        return null;
    }

    private static ValidationException Invalid(string message) => new("source", message);

    private static ValidationException Invalid(string message, Node at) =>
        new("source", $"{message} ({at.Location.Start.Line}:{at.Location.Start.Column + 1})");

    [GeneratedRegex("^(schedule|[A-Za-z][A-Za-z0-9_-]{0,63}\\.[A-Za-z][A-Za-z0-9_]{0,63})$")]
    private static partial Regex TriggerPattern();
}
