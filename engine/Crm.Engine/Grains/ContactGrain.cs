using System.Text.Json.Nodes;
using Crm.Engine.Domain;
using Crm.Engine.Settings;
using Crm.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Grains;

/// <summary>A contact: fields plus its consent ledger per address × purpose × channel.</summary>
internal sealed partial class ContactGrain(IEventStore store, TenantSettingsProvider settings, TimeProvider time, ILogger<ContactGrain> logger)
    : RecordGrain(RecordTypes.Contact, store, settings, time, logger), IContactGrain
{
    private static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    public async Task<ConsentEntry> SetConsentAsync(ConsentChange change, WriteOptions options)
    {
        await ExecuteAsync(options, (batch, s) =>
        {
            EnsureLive();
            var errors = new List<FieldError>();
            if (ConsentPurposeCheck.Unknown(s, change.Purpose) is { } unknown) errors.Add(unknown);
            if (string.IsNullOrWhiteSpace(change.Channel) || change.Channel.Length > 32 || !change.Channel.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                errors.Add(new FieldError("channel", "must be a lower-case channel name such as email or sms"));
            }

            if (change.Status is ConsentStatus.Unknown) errors.Add(new FieldError("status", "must be granted, pending or withdrawn"));
            if (string.IsNullOrWhiteSpace(change.Source) || change.Source.Length > 200) errors.Add(new FieldError("source", "is required (at most 200 characters)"));
            if (change.Proof is { Length: > 10_000 }) errors.Add(new FieldError("proof", "must be at most 10000 characters"));
            if (change.At is { } at && at > batch.Now + FutureTolerance) errors.Add(new FieldError("at", "must not be in the future"));

            var address = ConsentLedger.AnyAddress;
            if (change.Address is not null && errors.Count == 0)
            {
                var normalized = NormalizeAddress(change.Channel, change.Address, s);
                if (normalized is null || !AddressesOn(change.Channel).Contains(normalized))
                {
                    errors.Add(new FieldError("address", $"'{change.Address}' is not an address of this contact on {change.Channel}"));
                }
                else
                {
                    address = normalized;
                }
            }

            if (errors.Count > 0) throw new ValidationException(errors);
            batch.Add(EventTypes.ConsentRecorded, new JsonObject
            {
                ["purpose"] = change.Purpose,
                ["channel"] = change.Channel,
                ["address"] = address,
                ["status"] = change.Status.ToString(),
                ["lawfulBasis"] = change.LawfulBasis.ToString(),
                ["source"] = change.Source.Trim(),
                ["proof"] = change.Proof,
                ["at"] = FieldValidator.FormatTime(change.At ?? batch.Now),
            });
        });
        return State.Consent.Entries[^1];
    }

    public async Task<IReadOnlyList<ConsentEntry>> GetConsentAsync(DateTimeOffset? asOf)
    {
        await EnsureLoadedAsync();
        if (!State.Exists) throw new RecordNotFoundException(Type, Id);
        var state = asOf is null ? State : await StateAsOfAsync(asOf.Value);
        return state.Consent.Current(asOf);
    }

    public async Task<ConsentDecision> MayContactAsync(string address, string purpose, string channel, DateTimeOffset? at)
    {
        await EnsureLoadedAsync();
        if (!State.Exists || State.Deleted) throw new RecordNotFoundException(Type, Id);
        var s = await Settings.GetAsync(Tenant);
        var normalized = NormalizeAddress(channel, address, s);
        if (normalized is null || !AddressesOn(channel).Contains(normalized))
        {
            return new ConsentDecision { Allowed = false, Status = ConsentStatus.Unknown, Reason = $"'{address}' is not an address of this contact on {channel}." };
        }

        var basis = s.ConsentPurposes.FirstOrDefault(p => p.Name == purpose)?.Basis ?? LawfulBasis.Consent;
        return State.Consent.Decide(normalized, purpose, channel, basis, at);
    }

    private static string? NormalizeAddress(string channel, string address, TenantSettings s) =>
        ContactPoints.NormalizeAddress(channel, address, s.DefaultPhoneRegion);

    private HashSet<string> AddressesOn(string channel)
    {
        var list = channel switch
        {
            Channels.Email => State.Fields["emails"] as JsonArray,
            Channels.Sms or Channels.Phone or "whatsapp" => State.Fields["phones"] as JsonArray,
            _ => null,
        };
        return list is null ? [] : [.. list.Select(n => n!.GetValue<string>())];
    }
}
