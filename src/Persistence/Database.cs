using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace UcloudIm.Persistence;

public enum Dialect { Sqlite, Postgres }

/// <summary>
/// The one entry to the database. SQLite by default (a file the server owns); PostgreSQL when configured.
/// Repositories write SQL that both accept.
/// </summary>
public sealed class Database : IAsyncDisposable
{
    private readonly DbDataSource _source;

    public Dialect Dialect { get; }

    private Database(Dialect dialect, DbDataSource source)
    {
        Dialect = dialect;
        _source = source;
    }

    public static Database Sqlite(string path)
    {
        var dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        return new Database(Dialect.Sqlite, new SqliteDataSource(cs));
    }

    public static Database Postgres(string connectionString) =>
        new(Dialect.Postgres, NpgsqlDataSource.Create(connectionString));

    public async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = await _source.OpenConnectionAsync(ct);
        if (Dialect == Dialect.Sqlite)
        {
            // WAL lets readers run beside the one writer; busy_timeout waits instead of failing on a lock.
            await connection.ExecuteAsync("pragma journal_mode=wal; pragma busy_timeout=5000; pragma foreign_keys=on;");
        }
        return connection;
    }

    /// <summary>Applies the embedded migrations that have not run yet, each in its own transaction.</summary>
    public Task MigrateAsync(CancellationToken ct) => Migrations.ApplyAsync(this, ct);

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    /// <summary>True for errors that may pass on a retry (lock contention, dropped connection).</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        NpgsqlException n => n.IsTransient,
        SqliteException s => s.SqliteErrorCode is 5 or 6, // SQLITE_BUSY, SQLITE_LOCKED
        _ => false,
    };

    /// <summary>Microsoft.Data.Sqlite has no DbDataSource of its own; this one opens pooled connections.</summary>
    private sealed class SqliteDataSource(string connectionString) : DbDataSource
    {
        public override string ConnectionString => connectionString;

        protected override DbConnection CreateDbConnection() => new SqliteConnection(connectionString);
    }
}
