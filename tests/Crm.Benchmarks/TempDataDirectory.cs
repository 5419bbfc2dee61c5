namespace Crm.Benchmarks;

/// <summary>A fresh data directory under the system temp folder, deleted (with the database) on dispose.</summary>
internal sealed class TempDataDirectory : IDisposable
{
    public TempDataDirectory(string name)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"crm-bench-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string DatabasePath => System.IO.Path.Combine(Path, "crm.db");

    /// <summary>Size of the database and its write-ahead log.</summary>
    public long DatabaseBytes =>
        new DirectoryInfo(Path).EnumerateFiles("crm.db*").Sum(f => f.Length);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere; temp cleanup will get it.
        }
    }
}
