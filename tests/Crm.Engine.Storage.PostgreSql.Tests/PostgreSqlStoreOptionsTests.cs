using Xunit;

namespace Crm.Engine.Storage.PostgreSql.Tests;

/// <summary>An invalid option stops the store from opening and names its configuration path.</summary>
public sealed class PostgreSqlStoreOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public async Task A_batch_size_out_of_range_is_refused_with_its_configuration_path(int maxBatchSize)
    {
        var options = new PostgreSqlStoreOptions { ConnectionString = "Host=127.0.0.1", MaxBatchSize = maxBatchSize };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => PostgreSqlEventStore.OpenAsync(options, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("Crm:Storage:PostgreSql:MaxBatchSize", refused.Message, StringComparison.Ordinal);
    }
}
