namespace Crm.TestPlugins.Unshipped;

/// <summary>Stands for a vendor library a plugin forgot to ship.</summary>
public sealed class SmsGateway
{
    public string Endpoint { get; init; } = "https://sms.example.com";
}
