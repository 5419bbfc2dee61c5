using System.Net;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Cluster.Tests;

/// <summary>
/// A client as one would put in front of a cluster without a load balancer: each request goes to the next node, and a
/// refused connection, a time-out, a 5xx or a 503 from a node shutting down is retried on the following node, after a
/// short back-off. Creates carry an <c>Idempotency-Key</c>, so a retry of a create that did commit answers the same record.
/// </summary>
public sealed class FailoverClient(ThreeNodeCluster cluster, string key, int maxAttempts = 12)
{
    private int _next;

    /// <summary>How many attempts failed and were retried.</summary>
    public int Retries => Volatile.Read(ref _retries);

    private int _retries;

    public Task<ApiRecord> CreateContactAsync(JsonObject fields, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync(client => client.Contacts.CreateAsync(fields, idempotencyKey, cancellationToken), cancellationToken);

    public Task<ApiRecord> GetContactAsync(string id, CancellationToken cancellationToken) =>
        SendAsync(client => client.Contacts.GetAsync(id, cancellationToken: cancellationToken), cancellationToken);

    private async Task<T> SendAsync<T>(Func<CrmHttpClient, Task<T>> request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var node = 1 + (int)((uint)Interlocked.Increment(ref _next) % 3);
            try
            {
                return await request(cluster.Client(node, key));
            }
            catch (Exception ex) when (attempt < maxAttempts && IsRetryable(ex) && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _retries);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * attempt, 500)), cancellationToken);
            }
        }
    }

    private static bool IsRetryable(Exception ex) => ex switch
    {
        HttpRequestException => true,
        TaskCanceledException => true, // the per-request time-out
        CrmApiException api => api.StatusCode is HttpStatusCode.ServiceUnavailable or >= HttpStatusCode.InternalServerError,
        _ => false,
    };
}
