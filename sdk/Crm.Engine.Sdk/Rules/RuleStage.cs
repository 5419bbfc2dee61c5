namespace Crm.Engine.Rules;

/// <summary>Where in a command's pipeline a rule runs.</summary>
public enum RuleStage
{
    /// <summary>Before anything is written; may reject the command with a message the caller sees.</summary>
    Validate = 0,

    /// <summary>Before anything is written; its changes (fields, tags, score) join the same append.</summary>
    Enrich = 1,

    /// <summary>After the commit, from the log, once per cluster; its actions run from the outbox.</summary>
    React = 2,
}
