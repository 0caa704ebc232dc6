using UcloudIm.Persistence;

namespace UcloudIm.Tests.Integration.Persistence;

/// <summary>Project ↔ Unix group mappings, on SQLite and PostgreSQL (<see cref="TestDatabases"/>).</summary>
public sealed class ProjectsRepositoryTests
{
    public static TheoryData<string> Databases => TestDatabases.Kinds;

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_mapping_is_stored_renamed_listed_and_deleted(string kind)
    {
        await TestDatabases.With(kind, async db =>
        {
            var time = new FixedTime(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));
            var repo = new ProjectsRepository(db, time);
            var p = await repo.RegisterAsync("7f0c-chem", "Chemistry", "chem", 5001, CancellationToken.None);
            Assert.Equal(time.Now, p.CreatedAt);
            time.Now = time.Now.AddHours(1);
            var renamed = await repo.RegisterAsync("7f0c-chem", "Chemistry lab", "chem", 5001, CancellationToken.None);
            Assert.Equal(p.CreatedAt, renamed.CreatedAt);
            await repo.RegisterAsync("01aa-bio", "Biology", "bio", 5002, CancellationToken.None);
            Assert.Equal(["Biology", "Chemistry lab"], (await repo.ListAsync(CancellationToken.None)).Select(x => x.Title));
            Assert.Equal(("chem", 5001u), ((await repo.FindAsync("7f0c-chem", CancellationToken.None))!.LocalGroup, 5001u));
            Assert.True(await repo.DeleteAsync("01aa-bio", CancellationToken.None));
            Assert.False(await repo.DeleteAsync("01aa-bio", CancellationToken.None));
            Assert.Null(await repo.FindAsync("01aa-bio", CancellationToken.None));
        });
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_project_never_moves_to_another_group_nor_shares_one(string kind)
    {
        await TestDatabases.With(kind, async db =>
        {
            var repo = new ProjectsRepository(db, TimeProvider.System);
            await repo.RegisterAsync("7f0c-chem", "Chemistry", "chem", 5001, CancellationToken.None);
            await Assert.ThrowsAsync<MappingConflictException>(() => repo.RegisterAsync("7f0c-chem", "Chemistry", "bio", 5002, CancellationToken.None));
            var e = await Assert.ThrowsAsync<MappingConflictException>(() => repo.RegisterAsync("01aa-bio", "Biology", "chem", 5001, CancellationToken.None));
            Assert.Contains("Chemistry", e.Message);
            Assert.Equal(5001u, (await repo.FindAsync("7f0c-chem", CancellationToken.None))!.Gid);
        });
    }
}
