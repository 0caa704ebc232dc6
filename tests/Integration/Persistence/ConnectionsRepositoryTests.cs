using UcloudIm.Persistence;

namespace UcloudIm.Tests.Integration.Persistence;

/// <summary>The user/project mappings, on SQLite and PostgreSQL (<see cref="TestDatabases"/>).</summary>
public sealed class ConnectionsRepositoryTests
{
    public static TheoryData<string> Databases => TestDatabases.Kinds;

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_mapping_is_stored_found_listed_and_deleted(string kind)
    {
        await TestDatabases.With(kind, async db =>
        {
        var time = new FixedTime(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
        var repo = new ConnectionsRepository(db, time);
        var c = await repo.RegisterAsync("alice#1234", "alice", 41231, null, CancellationToken.None);
        Assert.Equal(time.Now, c.CreatedAt);
        var found = await repo.FindAsync("alice#1234", CancellationToken.None);
        Assert.Equal(("alice", 41231u, (DateTimeOffset?)null), (found!.LocalUsername, found.Uid, found.ExpiresAt));
        await repo.RegisterAsync("bob", "bob", 41232, null, CancellationToken.None);
        Assert.Equal(["alice#1234", "bob"], (await repo.ListAsync(CancellationToken.None)).Select(x => x.UcloudUsername));
        Assert.True(await repo.DeleteAsync("bob", CancellationToken.None));
        Assert.False(await repo.DeleteAsync("bob", CancellationToken.None));
        Assert.Null(await repo.FindAsync("bob", CancellationToken.None));
        });
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_user_is_never_moved_to_another_uid_nor_a_uid_shared(string kind)
    {
        await TestDatabases.With(kind, async db =>
        {
        var repo = new ConnectionsRepository(db, TimeProvider.System);
        await repo.RegisterAsync("alice", "alice", 41231, null, CancellationToken.None);
        await Assert.ThrowsAsync<MappingConflictException>(() => repo.RegisterAsync("alice", "bob", 41232, null, CancellationToken.None));
        await Assert.ThrowsAsync<MappingConflictException>(() => repo.RegisterAsync("mallory", "alice", 41231, null, CancellationToken.None));
        Assert.Equal(41231u, (await repo.FindAsync("alice", CancellationToken.None))!.Uid);
        });
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task Unlinking_expires_the_mapping_and_mapping_again_reactivates_it(string kind)
    {
        await TestDatabases.With(kind, async db =>
        {
        var time = new FixedTime(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
        var repo = new ConnectionsRepository(db, time);
        var created = await repo.RegisterAsync("alice", "alice", 41231, null, CancellationToken.None);
        Assert.True(await repo.ExpireAsync("alice", CancellationToken.None));
        time.Now = time.Now.AddSeconds(1);
        Assert.False((await repo.FindAsync("alice", CancellationToken.None))!.IsActiveAt(time.Now));
        Assert.False(await repo.ExpireAsync("nobody", CancellationToken.None));
        var again = await repo.RegisterAsync("alice", "alice", 41231, null, CancellationToken.None);
        Assert.True(again.IsActiveAt(time.Now));
        Assert.Equal(created.CreatedAt, again.CreatedAt);
        });
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_server_key_is_made_once_and_kept(string kind)
    {
        await TestDatabases.With(kind, async db =>
        {
        var keys = new ServerKeysRepository(db, TimeProvider.System);
        var a = await keys.GetOrCreateAsync("link-master", CancellationToken.None);
        Assert.Equal(32, a.Length);
        Assert.Equal(a, await keys.GetOrCreateAsync("link-master", CancellationToken.None));
        Assert.NotEqual(a, await keys.GetOrCreateAsync("other", CancellationToken.None));
        });
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task Migrations_run_once(string kind)
    {
        await TestDatabases.With(kind, async db =>
        {
        async Task<long> Count()
        {
            await using var c = await db.OpenAsync(CancellationToken.None);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "select count(*) from schema_migrations";
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
        var first = await Count();
        await db.MigrateAsync(CancellationToken.None);
        await db.MigrateAsync(CancellationToken.None);
        Assert.True(first >= 2);
        Assert.Equal(first, await Count());
        });
    }
}
