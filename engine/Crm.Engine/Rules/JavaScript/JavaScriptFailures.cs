using System.Text.RegularExpressions;
using Jint;
using Jint.Runtime;

namespace Crm.Engine.Rules.JavaScript;

/// <summary>Turns what the interpreter throws into the engine's rule errors.</summary>
internal static class JavaScriptFailures
{
    /// <summary>
    /// <see cref="RuleLimitExceededException"/> for a limit, <see cref="RuleScriptException"/> for an error the script
    /// threw or a failure of the interpreter; the engine's own rule errors as they are; null for anything else (a
    /// bug in the host, left to propagate).
    /// </summary>
    public static CrmException? Translate(Exception ex) => ex switch
    {
        RuleScriptException or RuleLimitExceededException => (CrmException)ex,
        RegexMatchTimeoutException => new RuleLimitExceededException("regexTime", "A regular expression in the rule ran longer than its limit."),
        TimeoutException => new RuleLimitExceededException("time", "The rule ran longer than its time limit."),
        StatementsCountOverflowException => new RuleLimitExceededException("statements", "The rule executed more statements than its limit."),
        MemoryLimitExceededException when ex.Message.StartsWith("The array size", StringComparison.Ordinal) =>
            new RuleLimitExceededException("arraySize", "The rule made an array larger than its limit."),
        MemoryLimitExceededException or OutOfMemoryException => new RuleLimitExceededException("memory", "The rule allocated more memory than its limit."),
        RecursionDepthOverflowException => new RuleLimitExceededException("recursion", "The rule nested calls deeper than its limit."),
        JavaScriptException js => new RuleScriptException("The rule threw: " + js.Message + Where(js)),
        JintException or InsufficientExecutionStackException => new RuleScriptException("The rule failed: " + ex.Message),
        _ => null,
    };

    /// <summary>
    /// True when the exception came from the script itself (it threw, or called <c>act</c> badly or too often): the
    /// interpreter unwound normally and the engine is intact.
    /// </summary>
    public static bool IsScriptError(Exception ex) => ex is JavaScriptException or RuleScriptException or RuleLimitExceededException { Limit: "actions" };

    private static string Where(JavaScriptException js)
    {
        var start = js.Location.Start;
        if (start.Line <= 0 || js.Location.SourceFile != JavaScriptRuleCompiler.SourceName)
        {
            return "";
        }

        var column = start.Column + 1;
        if (start.Line == 1)
        {
            column = Math.Max(1, column - JavaScriptRuleCompiler.ScriptPrefix.Length);
        }

        return $" ({start.Line}:{column})";
    }
}
