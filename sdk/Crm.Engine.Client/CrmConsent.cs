using System.Text.Json.Nodes;

namespace Crm.Engine.Client;

/// <summary>Consent routes of contacts: <c>PUT /contacts/{id}/consent/{purpose}/{channel}</c>, <c>GET …/consent</c>, <c>GET …/consent/check</c>.</summary>
public sealed class CrmConsent
{
    private readonly CrmHttpClient _client;

    internal CrmConsent(CrmHttpClient client) => _client = client;

    /// <summary>Records a decision for one purpose and channel (for one address, or all of the contact's when none is given).</summary>
    public async Task<ConsentEntry> SetAsync(string contactId, string purpose, string channel, ConsentDecisionRequest decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var body = new JsonObject { ["status"] = decision.Status, ["source"] = decision.Source };
        if (decision.Address is not null) body["address"] = decision.Address;
        if (decision.LawfulBasis is not null) body["lawfulBasis"] = decision.LawfulBasis;
        if (decision.Proof is not null) body["proof"] = decision.Proof;
        if (decision.At is { } at) body["at"] = Json.Format(at);
        var path = $"{Base(contactId)}/{CrmHttpClient.Escape(purpose)}/{CrmHttpClient.Escape(channel)}";
        return ConsentEntry.From((await _client.SendAsync(HttpMethod.Put, path, body, null, cancellationToken).ConfigureAwait(false)).Object);
    }

    /// <summary>The contact's consent entries (as of a past time when given).</summary>
    public async Task<IReadOnlyList<ConsentEntry>> GetAsync(string contactId, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        var path = CrmHttpClient.Query(Base(contactId), ("asOf", asOf is { } t ? Json.Format(t) : null));
        var o = (await _client.SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false)).Object;
        return o["items"] is JsonArray a ? [.. a.OfType<JsonObject>().Select(ConsentEntry.From)] : [];
    }

    /// <summary>May this address of the contact be contacted for the purpose on the channel (at a time, default now)?</summary>
    public async Task<ConsentCheck> CheckAsync(string contactId, string address, string purpose, string channel, DateTimeOffset? at = null, CancellationToken cancellationToken = default)
    {
        var path = CrmHttpClient.Query(Base(contactId) + "/check",
            ("address", address), ("purpose", purpose), ("channel", channel), ("at", at is { } t ? Json.Format(t) : null));
        var o = (await _client.SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false)).Object;
        return new ConsentCheck(
            Json.Bool(o, "allowed") ?? false,
            Json.Str(o, "status") ?? "unknown",
            Json.Str(o, "reason"),
            Json.Str(o, "decidingEventId"),
            o["decidingEntry"] is JsonObject entry ? ConsentEntry.From(entry) : null);
    }

    private static string Base(string contactId) => $"api/v1/contacts/{CrmHttpClient.Escape(contactId)}/consent";
}

/// <summary>A consent decision to record.</summary>
public sealed record ConsentDecisionRequest
{
    /// <summary><c>granted</c>, <c>pending</c>, <c>withdrawn</c> or <c>unknown</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Where the decision came from, e.g. <c>signup form</c>.</summary>
    public required string Source { get; init; }

    /// <summary>One of the contact's addresses, or null for all of them.</summary>
    public string? Address { get; init; }

    /// <summary><c>consent</c>, <c>contract</c>, <c>legalObligation</c>, <c>vitalInterests</c>, <c>publicTask</c> or <c>legitimateInterest</c>.</summary>
    public string? LawfulBasis { get; init; }

    /// <summary>Evidence: the wording shown, a message id, a signed form.</summary>
    public string? Proof { get; init; }

    /// <summary>When the decision was given (default now).</summary>
    public DateTimeOffset? At { get; init; }
}

/// <summary>One recorded consent decision.</summary>
public sealed record ConsentEntry(string Purpose, string Channel, string? Address, string Status, string? LawfulBasis, string? Source, string? Proof, DateTimeOffset At, string? EventId)
{
    internal static ConsentEntry From(JsonObject o) => new(
        Json.Str(o, "purpose") ?? "", Json.Str(o, "channel") ?? "", Json.Str(o, "address"), Json.Str(o, "status") ?? "unknown",
        Json.Str(o, "lawfulBasis"), Json.Str(o, "source"), Json.Str(o, "proof"), Json.Time(o, "at") ?? default, Json.Str(o, "eventId"));
}

/// <summary>The answer to "may I contact": allowed or not, the status, why, and the deciding entry.</summary>
public sealed record ConsentCheck(bool Allowed, string Status, string? Reason, string? DecidingEventId, ConsentEntry? DecidingEntry);
