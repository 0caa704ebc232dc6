using Npgsql;
using UcloudIm.Persistence;

namespace UcloudIm.Tests.Integration.Persistence;

/// <summary>A clock the test sets.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now = now;
    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// Repository tests run on SQLite (always) and PostgreSQL (UCIM_TEST_POSTGRES, which deploy/test.sh sets after
/// starting Debian's PostgreSQL; in CI its absence is a failure, not a skip). Each test gets a database of its own.
/// </summary>
internal static class TestDatabases
{
    public static TheoryData<string> Kinds => new() { "sqlite", "postgres" };

    public static async Task With(string kind, Func<Database, Task> test)
    {
        var (db, cleanup) = await Open(kind);
        try { await test(db); }
        finally { await cleanup(); }
    }

    private static async Task<(Database Db, Func<Task> Cleanup)> Open(string kind)
    {
        if (kind == "sqlite")
        {
            var dir = Directory.CreateTempSubdirectory("ucim-db").FullName;
            var db = Database.Sqlite(Path.Combine(dir, "im.sqlite3"));
            await db.MigrateAsync(CancellationToken.None);
            return (db, async () => { await db.DisposeAsync(); Directory.Delete(dir, true); });
        }
        var cs = Environment.GetEnvironmentVariable("UCIM_TEST_POSTGRES");
        if (cs is null)
        {
            Assert.SkipWhen(Environment.GetEnvironmentVariable("CI") is null, "UCIM_TEST_POSTGRES is not set (deploy/test.sh sets it)");
            Assert.Fail("UCIM_TEST_POSTGRES must be set in CI");
        }
        // A schema of its own per test, so tests never share data.
        var schema = "t" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = NpgsqlDataSource.Create(cs))
        await using (var c = await admin.OpenConnectionAsync())
        await using (var cmd = new NpgsqlCommand($"create schema {schema}", c)) await cmd.ExecuteNonQueryAsync();
        var pg = Database.Postgres(cs + $";Search Path={schema}");
        await pg.MigrateAsync(CancellationToken.None);
        return (pg, async () =>
        {
            await pg.DisposeAsync();
            await using var admin = NpgsqlDataSource.Create(cs);
            await using var c = await admin.OpenConnectionAsync();
            await using var cmd = new NpgsqlCommand($"drop schema {schema} cascade", c);
            await cmd.ExecuteNonQueryAsync();
        });
    }
}
