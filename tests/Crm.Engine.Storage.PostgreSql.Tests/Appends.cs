namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>Appends as the engine makes them, small enough to read in a test.</summary>
internal static class Appends
{
    public const string Tenant = "acme";

    /// <summary>One event for <paramref name="streamId"/> at <paramref name="expectedVersion"/>, with a row when given.</summary>
    public static AppendRequest New(string streamId, long expectedVersion = 0, RecordRow? row = null, Guid? eventId = null) => new()
    {
        Tenant = Tenant,
        StreamId = streamId,
        ExpectedVersion = expectedVersion,
        Events =
        [
            new NewEvent
            {
                EventId = eventId ?? Guid.NewGuid(),
                Type = expectedVersion == 0 ? "record.created" : "record.updated",
                PayloadJson = "{}",
                Time = DateTimeOffset.UtcNow,
                Actor = Actor.User("u-1"),
            },
        ],
        Row = row,
    };

    /// <summary>A contact row claiming <paramref name="email"/>.</summary>
    public static RecordRow Contact(string id, string email, long version = 1) => new()
    {
        Type = RecordTypes.Contact,
        Id = id,
        Version = version,
        Deleted = false,
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
        DataJson = $$"""{"email":"{{email}}"}""",
        SearchText = email,
        UniqueClaims = [new UniqueClaim("contact.email", email)],
    };
}
