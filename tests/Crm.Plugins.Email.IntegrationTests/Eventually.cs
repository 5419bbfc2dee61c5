namespace Crm.Plugins.Email.IntegrationTests;

/// <summary>Waits on a condition with a timeout instead of sleeping a fixed time.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test (cancelled) after <see cref="Patience"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Patience);
        while (!await condition())
        {
            await Task.Delay(25, timeout.Token);
        }
    }
}
