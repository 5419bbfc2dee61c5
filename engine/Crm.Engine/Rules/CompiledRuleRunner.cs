namespace Crm.Engine.Rules;

/// <summary>Evaluates a compiled C# rule with the same contract as a JavaScript one.</summary>
internal static class CompiledRuleRunner
{
    public static RuleOutcome Evaluate(ICrmRule rule, RuleEvent e)
    {
        try
        {
            if (!rule.When(e)) return RuleOutcome.NotMatched;
            var act = new RuleActionRecorder();
            rule.Then(e, act);
            return new RuleOutcome(true, act.Actions);
        }
        catch (CrmException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new RuleScriptException("The rule threw: " + ex.Message);
        }
    }
}
