using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Cli.Targets;
using Crm.Engine;
using Crm.Engine.Rules;
using Crm.Engine.Testing;
using Spectre.Console;

namespace Crm.Cli.Rules;

/// <summary><c>crm rules test</c> (one event, no engine) and <c>crm rules backtest</c> (stored history, no side effects).</summary>
internal static class RuleCommands
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static Command Create(CliApp app) => new("rules", "Rules: test one on an event, or backtest over stored history.")
    {
        CreateTest(app), CreateBacktest(app),
    };

    private static Command CreateTest(CliApp app)
    {
        var file = new Argument<FileInfo>("file") { Description = "The rule's JavaScript source." };
        var eventOption = new Option<string>("--event")
        {
            Description = "The event as JSON, or @file.json: {\"trigger\":\"deal.stageChanged\",\"after\":{…},\"before\":{…},\"payload\":{…}}.",
            Required = true,
        };
        var command = new Command("test", "Evaluates a rule on one event in the engine's sandbox; nothing is stored or sent.") { file, eventOption };
        command.SetAction(app.Guard((parse, _) =>
        {
            var source = ReadFile(parse.GetValue(file)!);
            var e = ParseEvent(parse.GetValue(eventOption)!);
            RuleTestResult result;
            try
            {
                result = RuleTester.Evaluate(source, e);
            }
            catch (CrmException ex)
            {
                return Task.FromResult(app.Error("The rule cannot run: " + ex.Message, CliApp.Failed));
            }

            app.Console.MarkupLine(result.Matched
                ? $"[green]matched[/] on {Markup.Escape(e.Trigger)}: {result.Actions.Count} action(s)"
                : $"[yellow]did not match[/] on {Markup.Escape(e.Trigger)}");
            if (result.Actions.Count > 0)
            {
                var table = new Table().AddColumn("Action").AddColumn("Arguments");
                foreach (var action in result.Actions) table.AddRow(Markup.Escape(action.Kind), Markup.Escape(action.ArgsJson));
                app.Console.Write(table);
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command CreateBacktest(CliApp app)
    {
        var rule = new Argument<string>("rule") { Description = "A saved rule's id, or a .js file to backtest as a draft." };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Replay events from this time (ISO 8601)." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Replay events up to this time (ISO 8601)." };
        var max = new Option<int?>("--max-events") { Description = "Most events to replay (default 100,000)." };
        var command = new Command("backtest", "Replays stored history through a rule and counts what it would have done; nothing is changed.") { rule, from, to, max };
        command.SetAction(app.Guard(async (parse, ct) =>
        {
            var name = parse.GetValue(rule)!;
            string? source = null;
            if (name.EndsWith(".js", StringComparison.OrdinalIgnoreCase))
            {
                source = ReadFile(new FileInfo(name));
                name = Path.GetFileNameWithoutExtension(name);
            }

            await using var target = await app.Target(parse).OpenAsync(ct);
            JsonObject answer;
            if (target is EmbeddedTarget embedded)
            {
                var request = new RuleBacktestRequest
                {
                    RuleIds = source is null ? [name] : [],
                    Sources = source is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [name] = source },
                    From = parse.GetValue(from),
                    To = parse.GetValue(to),
                    MaxEvents = parse.GetValue(max) ?? 100_000,
                };
                answer = JsonSerializer.SerializeToNode(await embedded.Client.Rules.BacktestAsync(request, ct), Web)!.AsObject();
            }
            else
            {
                var body = new JsonObject();
                if (source is null) body["ruleIds"] = new JsonArray(name);
                else body["sources"] = new JsonObject { [name] = source };
                if (parse.GetValue(from) is { } f) body["from"] = f.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
                if (parse.GetValue(to) is { } t) body["to"] = t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
                if (parse.GetValue(max) is { } m) body["maxEvents"] = m;
                answer = await ((IRemoteTarget)target).PostAsync("api/v1/rules/backtest", body, ct);
            }

            Report(app.Console, answer);
            return 0;
        }));
        return command;
    }

    private static void Report(IAnsiConsole console, JsonObject answer)
    {
        console.MarkupLine($"Replayed [green]{answer["events"]}[/] events{(answer["truncated"]?.GetValue<bool>() == true ? " [yellow](cut short by --max-events)[/]" : "")}.");
        var table = new Table().AddColumn("Rule").AddColumn("Version").AddColumn("Evaluations").AddColumn("Fired").AddColumn("Records").AddColumn("Actions").AddColumn("Errors");
        foreach (var r in (answer["rules"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var actions = r["actions"] is JsonObject a ? string.Join(", ", a.Select(p => $"{p.Key}: {p.Value}")) : "";
            var errors = $"{r["errors"]}{(r["firstError"] is JsonValue fe ? " — " + fe.GetValue<string>() : "")}";
            table.AddRow(Markup.Escape($"{r["ruleId"]}"), $"{r["ruleVersion"]}", $"{r["evaluations"]}", $"{r["fired"]}", $"{r["records"]}", Markup.Escape(actions), Markup.Escape(errors));
        }

        console.Write(table);
    }

    private static RuleEvent ParseEvent(string text)
    {
        if (text.StartsWith('@')) text = ReadFile(new FileInfo(text[1..]));
        JsonObject o;
        try
        {
            o = JsonNode.Parse(text) as JsonObject ?? throw new CliUsageException("--event must be a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new CliUsageException("--event is not valid JSON: " + ex.Message);
        }

        var trigger = o["trigger"] is JsonValue tv && tv.GetValueKind() == JsonValueKind.String ? tv.GetValue<string>()
            : throw new CliUsageException("--event needs a \"trigger\", e.g. \"deal.stageChanged\" or \"contact.created\".");
        return RuleTester.Event(trigger,
            o["after"] as JsonObject is { } after ? (JsonObject)after.DeepClone() : [],
            o["before"] is JsonObject before ? (JsonObject)before.DeepClone() : null,
            o["payload"] is JsonObject payload ? (JsonObject)payload.DeepClone() : null,
            time: o["time"] is JsonValue time && DateTimeOffset.TryParse(time.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null);
    }

    private static string ReadFile(FileInfo file) =>
        file.Exists ? File.ReadAllText(file.FullName) : throw new CliUsageException($"The file '{file.FullName}' does not exist.");
}
