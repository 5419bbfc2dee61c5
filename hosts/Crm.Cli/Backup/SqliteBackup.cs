using Microsoft.Data.Sqlite;

namespace Crm.Cli.Backup;

/// <summary>
/// Copies a data directory's database with SQLite's online backup API: a consistent snapshot of everything committed,
/// write-ahead log included, taken while a server keeps writing (reading needs no lock on the directory).
/// </summary>
internal static class SqliteBackup
{
    /// <summary>The database file in a data directory.</summary>
    public const string DatabaseFileName = "crm.db";

    /// <summary>Backs up the database of <paramref name="dataPath"/> into <paramref name="file"/>; answers the number of events in it.</summary>
    public static long Backup(string dataPath, string file)
    {
        var database = Path.Combine(dataPath, DatabaseFileName);
        if (!File.Exists(database)) throw new FileNotFoundException($"The data directory '{dataPath}' holds no {DatabaseFileName}.", database);
        return Copy(database, file, SqliteOpenMode.ReadWrite);
    }

    /// <summary>Restores <paramref name="file"/> as the database of <paramref name="dataPath"/>, which must be empty (or not exist).</summary>
    public static long Restore(string file, string dataPath)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"The backup '{file}' does not exist.", file);
        if (Directory.Exists(dataPath) && Directory.EnumerateFileSystemEntries(dataPath).Any())
        {
            throw new RestoreTargetException($"The data directory '{dataPath}' is not empty: restore into a new, empty directory (nothing there is overwritten).");
        }

        Directory.CreateDirectory(dataPath);
        return Copy(file, Path.Combine(dataPath, DatabaseFileName), SqliteOpenMode.ReadWrite);
    }

    private static long Copy(string sourcePath, string destinationPath, SqliteOpenMode sourceMode)
    {
        var temp = destinationPath + ".partial";
        File.Delete(temp);
        using (var source = Open(sourcePath, sourceMode))
        {
            var events = CountEvents(source, sourcePath);
            using (var destination = Open(temp, SqliteOpenMode.ReadWriteCreate))
            {
                source.BackupDatabase(destination);
                using var check = destination.CreateCommand();
                check.CommandText = "PRAGMA quick_check;";
                var result = check.ExecuteScalar() as string;
                if (result != "ok") throw new IOException($"The copy of '{sourcePath}' failed its integrity check: {result}");
            }

            // A half-written copy never takes the place of a good file.
            File.Move(temp, destinationPath, overwrite: true);
            return events;
        }
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        using var timeout = connection.CreateCommand();
        timeout.CommandText = "PRAGMA busy_timeout = 10000;";
        timeout.ExecuteNonQuery();
        return connection;
    }

    private static long CountEvents(SqliteConnection connection, string path)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM events;";
        try
        {
            return (long)command.ExecuteScalar()!;
        }
        catch (SqliteException ex)
        {
            throw new RestoreTargetException($"'{path}' is not a Crm.Engine database: {ex.Message}");
        }
    }
}

/// <summary>A restore that would overwrite data, or a file that is not a backup.</summary>
internal sealed class RestoreTargetException(string message) : Exception(message);
