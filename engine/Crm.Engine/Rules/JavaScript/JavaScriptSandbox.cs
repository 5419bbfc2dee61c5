using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Runtime;

namespace Crm.Engine.Rules.JavaScript;

/// <summary>
/// Runs one JavaScript function on JSON input, locked down: strict mode, no CLR access, no <c>eval</c> or
/// <c>Function</c>, and the <see cref="JavaScriptLimits"/>. Each evaluation gets a fresh interpreter (its own realm),
/// so nothing one rule does to globals or built-in prototypes is seen by the next rule or tenant; the input is parsed
/// inside it into plain JavaScript objects, and the result leaves it as JSON.
/// </summary>
internal sealed class JavaScriptSandbox(JavaScriptLimits limits)
{
    /// <summary>
    /// Evaluates <paramref name="functionSource"/> (a function expression, e.g. <c>input =&gt; input.amount &gt; 100</c>)
    /// with the parsed <paramref name="inputJson"/> as its argument, and returns its result as JSON (<c>null</c> for undefined).
    /// </summary>
    /// <exception cref="RuleLimitExceededException">A limit stopped it.</exception>
    /// <exception cref="RuleScriptException">The script does not parse, or threw.</exception>
    public string Evaluate(string functionSource, string inputJson)
    {
        ArgumentNullException.ThrowIfNull(functionSource);
        ArgumentNullException.ThrowIfNull(inputJson);
        if (functionSource.Length > limits.MaxScriptLength)
        {
            throw new ValidationException("script", $"must be at most {limits.MaxScriptLength} characters");
        }

        if (inputJson.Length > limits.MaxInputLength)
        {
            throw new RuleLimitExceededException("input", $"The rule's input is {inputJson.Length} characters, more than the limit of {limits.MaxInputLength}.");
        }

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var engine = NewEngine();
        try
        {
            var function = engine.Evaluate("(" + functionSource + "\n)");
            if (function is not Jint.Native.Function.Function)
            {
                throw new RuleScriptException("The rule's script is not a function.");
            }

            var input = new JsonParser(engine).Parse(inputJson);
            var result = engine.Invoke(function, input);
            var json = result.IsUndefined() ? "null" : new JsonSerializer(engine).Serialize(result).ToString();

            // The interpreter checks memory between steps, so one built-in call (a huge String.prototype.repeat) can
            // allocate past the limit before a check runs. Such a rule still fails: its result is thrown away.
            if (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore > limits.MaxMemoryBytes)
            {
                throw new RuleLimitExceededException("memory", "The rule allocated more memory than its limit.");
            }

            return json;
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    private Jint.Engine NewEngine() => new(options =>
    {
        options.Strict = true;
        options.TimeoutInterval(limits.Timeout);
        options.MaxStatements(limits.MaxStatements);
        options.LimitMemory(limits.MaxMemoryBytes);
        options.LimitRecursion(limits.MaxRecursion);
        options.RegexTimeoutInterval(limits.RegexTimeout);
        options.MaxArraySize(limits.MaxArraySize);
        options.MaxJsonParseDepth(64);
        options.DisableStringCompilation();
        options.Interop.Enabled = false;
    });

    private static CrmException? Translate(Exception ex) => ex switch
    {
        CrmException => null,
        System.Text.RegularExpressions.RegexMatchTimeoutException => new RuleLimitExceededException("regexTime", "A regular expression in the rule ran longer than its limit."),
        TimeoutException => new RuleLimitExceededException("time", "The rule ran longer than its time limit."),
        StatementsCountOverflowException => new RuleLimitExceededException("statements", "The rule executed more statements than its limit."),
        MemoryLimitExceededException => new RuleLimitExceededException("memory", "The rule allocated more memory than its limit."),
        RecursionDepthOverflowException => new RuleLimitExceededException("recursion", "The rule nested calls deeper than its limit."),
        JavaScriptException js when js.Message.Contains("array", StringComparison.OrdinalIgnoreCase) && js.Message.Contains("size", StringComparison.OrdinalIgnoreCase) =>
            new RuleLimitExceededException("arraySize", "The rule made an array larger than its limit."),
        JavaScriptException js => new RuleScriptException("The rule threw: " + js.Message),
        Acornima.ParseErrorException => new RuleScriptException("The rule's script does not parse: " + ex.Message),
        OutOfMemoryException => new RuleLimitExceededException("memory", "The rule allocated more memory than its limit."),
        _ => null,
    };
}
