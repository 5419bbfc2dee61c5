using Crm.Engine.Rules;

namespace CustomPlugin;

/// <summary>Tags a contact created with the source <c>partner</c> as <c>partner</c>, in the same write.</summary>
public sealed class TagPartnerContacts : CrmRule
{
    public override string Id => "custom-plugin.partner-tag";

    public override string On => "contact.created";

    public override RuleStage Stage => RuleStage.Enrich;

    public override bool When(RuleEvent e) => string.Equals((string?)e.After["source"], "partner", StringComparison.OrdinalIgnoreCase);

    public override void Then(RuleEvent e, IRuleActions act) => act.AddTag("partner");
}
