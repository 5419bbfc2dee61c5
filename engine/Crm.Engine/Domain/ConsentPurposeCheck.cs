namespace Crm.Engine.Domain;

/// <summary>Whether a tenant knows a consent purpose (<see cref="TenantSettings.ConsentPurposes"/>), with the error naming <c>purpose</c> when not.</summary>
internal static class ConsentPurposeCheck
{
    public static FieldError? Unknown(TenantSettings settings, string? purpose) =>
        settings.ConsentPurposes.Any(p => p.Name == purpose)
            ? null
            : new FieldError("purpose", $"must be one of: {string.Join(", ", settings.ConsentPurposes.Select(p => p.Name))}");
}
