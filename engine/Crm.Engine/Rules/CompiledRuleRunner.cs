namespace Crm.Engine.Rules;

/// <summary>Evaluates a compiled C# rule: its <c>When</c>, then its <c>Then</c> on a <see cref="RuleActionRecorder"/>.</summary>
internal static class CompiledRuleRunner
{
    // One recorder per thread, taken while in use: its JSON buffer is reused from one evaluation to the next.
    [ThreadStatic] private static RuleActionRecorder? s_recorder;

    /// <summary>Runs <paramref name="rule"/> on <paramref name="e"/>.</summary>
    /// <exception cref="RuleScriptException">The rule threw, or asked for an action with invalid arguments.</exception>
    /// <exception cref="RuleLimitExceededException">The rule recorded more than <see cref="RuleActionRecorder.MaxActions"/> actions.</exception>
    public static RuleOutcome Evaluate(ICrmRule rule, RuleEvent e)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(e);
        var recorder = s_recorder ?? new RuleActionRecorder();
        s_recorder = null;
        try
        {
            if (!rule.When(e))
            {
                return RuleOutcome.NotMatched;
            }

            rule.Then(e, recorder);
            return new RuleOutcome(true, recorder.TakeActions());
        }
        catch (Exception ex) when (ex is not (RuleScriptException or RuleLimitExceededException or OutOfMemoryException))
        {
            throw new RuleScriptException($"The rule threw {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            recorder.Clear();
            s_recorder = recorder;
        }
    }
}
