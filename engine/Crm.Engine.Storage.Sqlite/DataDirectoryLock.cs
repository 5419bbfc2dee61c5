using System.Globalization;
using System.Text;

namespace Crm.Engine.Storage.Sqlite;

/// <summary>
/// Exclusive ownership of a data directory: <c>crm.lock</c> held open with no sharing for the store's lifetime.
/// The operating system releases it if the process dies, so a crash never leaves the directory locked.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    internal const string FileName = "crm.lock";

    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    /// <summary>Takes the lock or throws <see cref="DataDirectoryLockedException"/> when another owner holds it.</summary>
    public static DataDirectoryLock Acquire(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
        }
        catch (IOException ex)
        {
            throw new DataDirectoryLockedException(directory, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new DataDirectoryLockedException(directory, ex);
        }

        try
        {
            // The owner's process id helps an operator find who holds the directory.
            var owner = Encoding.UTF8.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            file.SetLength(0);
            file.Write(owner);
            file.Flush();
        }
        catch (IOException)
        {
            // The lock is what matters; the owner note is a courtesy.
        }

        return new DataDirectoryLock(file);
    }

    public void Dispose() => _file.Dispose();
}
