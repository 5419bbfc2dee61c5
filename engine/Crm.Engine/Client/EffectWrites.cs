using System.Text.Json.Nodes;

namespace Crm.Engine.Client;

/// <summary>Writes of outbox effects, which may run again after a crash.</summary>
internal static class EffectWrites
{
    /// <summary>
    /// Creates a record under an id derived from the effect, so a retry finds the record an earlier attempt made
    /// instead of making a second (a loaded grain refuses the second create before its effect key is checked).
    /// </summary>
    public static async Task CreateOnceAsync(this ICrmClient client, string type, JsonObject fields, string id, WriteOptions write, CancellationToken cancellationToken)
    {
        try
        {
            await client.CreateAsync(type, fields, id, write, cancellationToken);
        }
        catch (RecordExistsException)
        {
            // Created by an earlier attempt of this effect.
        }
    }
}
