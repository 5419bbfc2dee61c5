using Crm.Engine.Rules;

namespace Crm.Engine.Tests;

public sealed class RuleCausationTests
{
    [Fact]
    public void The_depth_is_read_only_from_a_rules_causation_id()
    {
        var id = Guid.CreateVersion7();
        Assert.Equal(3, RuleCausation.Depth(RuleCausation.Format(id, 3)));
        Assert.Equal(id, RuleCausation.TriggerEventId(RuleCausation.Format(id, 3)));
        Assert.Equal(0, RuleCausation.Depth("case/c1#42"));      // a timer's id
        Assert.Equal(0, RuleCausation.Depth("req-123"));
        Assert.Equal(0, RuleCausation.Depth(null));
        Assert.Null(RuleCausation.TriggerEventId("case/c1#42"));
    }
}
