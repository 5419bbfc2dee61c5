using Xunit;

namespace Crm.Engine.Storage.Sqlite.Tests;

/// <summary>An invalid option stops the store from opening and names its configuration path.</summary>
public sealed class SqliteStoreOptionsTests : IDisposable
{
    private readonly TempDataDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(0, 8192, "MaxBatchSize")]
    [InlineData(10_001, 20_000, "MaxBatchSize")]
    [InlineData(512, 256, "MaxBulkBatchSize")]
    [InlineData(256, 100_001, "MaxBulkBatchSize")]
    [InlineData(256, 8192, "CheckpointPages", 999)]
    [InlineData(256, 8192, "CheckpointPages", 262_145)]
    public void An_option_out_of_range_is_refused_with_its_configuration_path(int maxBatchSize, int maxBulkBatchSize, string option, int checkpointPages = 8192)
    {
        var options = _directory.Options(o =>
        {
            o.MaxBatchSize = maxBatchSize;
            o.MaxBulkBatchSize = maxBulkBatchSize;
            o.CheckpointPages = checkpointPages;
        });

        var refused = Assert.Throws<ArgumentException>(() => SqliteEventStore.Open(options));

        Assert.Contains("Crm:Storage:Sqlite:" + option, refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(options.Path), "A refused store must not create its database.");
    }
}
