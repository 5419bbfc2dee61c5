namespace Crm.Engine.Client;

/// <summary>The write options a client facet passes on: the caller's, attributed to the client's actor unless they name one.</summary>
internal static class WriteOptionsActor
{
    public static WriteOptions ActingAs(this WriteOptions? options, Actor actor) =>
        options is null ? new WriteOptions { Actor = actor } : options.Actor is null ? options with { Actor = actor } : options;
}
