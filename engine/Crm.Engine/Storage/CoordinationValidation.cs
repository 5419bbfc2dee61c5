namespace Crm.Engine.Storage;

/// <summary>Refuses malformed coordination writes before a store does I/O for them (shared by every store).</summary>
internal static class CoordinationValidation
{
    public static void Validate(SubscriptionDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision.Fence);
        ArgumentException.ThrowIfNullOrEmpty(decision.Subscription);
        ArgumentOutOfRangeException.ThrowIfNegative(decision.Checkpoint);
        ArgumentNullException.ThrowIfNull(decision.Outbox);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in decision.Outbox)
        {
            if (message is null || message.Key is not { Length: > 0 and <= AppendValidation.MaxKeyLength } || string.IsNullOrEmpty(message.Kind)
                || string.IsNullOrEmpty(message.Tenant) || message.PayloadJson is null)
            {
                throw new ArgumentException($"An outbox row of subscription '{decision.Subscription}' needs a key (1 to {AppendValidation.MaxKeyLength} characters), a kind, a tenant and a payload.", nameof(decision));
            }

            if (!keys.Add(message.Key))
            {
                throw new ArgumentException($"Outbox key '{message.Key}' appears twice in one decision of subscription '{decision.Subscription}'.", nameof(decision));
            }
        }
    }
}
