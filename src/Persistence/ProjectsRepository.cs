using Dapper;

namespace UcloudIm.Persistence;

/// <summary>A UCloud project mapped to a local Unix group: the group's members are the project's members here.</summary>
public sealed record ProjectMapping(string UcloudProjectId, string Title, string LocalGroup, uint Gid, DateTimeOffset CreatedAt);

public sealed class ProjectsRepository(Database db, TimeProvider time)
{
    private const string Columns =
        "ucloud_project_id as UcloudProjectId, title as Title, local_group as LocalGroup, gid as Gid, created_at as CreatedAt";

    public async Task<ProjectMapping?> FindAsync(string ucloudProjectId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"select {Columns} from projects where ucloud_project_id = @ucloudProjectId", new { ucloudProjectId }, cancellationToken: ct));
        return row?.ToMapping();
    }

    public async Task<IReadOnlyList<ProjectMapping>> ListAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition($"select {Columns} from projects order by title, ucloud_project_id", cancellationToken: ct));
        return rows.Select(r => r.ToMapping()).ToList();
    }

    /// <summary>
    /// Maps a project to a group, or renames it. A project already mapped to another gid, or a gid already
    /// mapped to another project, is refused: moving a project's files to another group is an admin's decision,
    /// made by removing the old mapping first.
    /// </summary>
    public async Task<ProjectMapping> RegisterAsync(string ucloudProjectId, string title, string localGroup, uint gid, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var existing = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"select {Columns} from projects where ucloud_project_id = @ucloudProjectId", new { ucloudProjectId }, tx, cancellationToken: ct));
        if (existing is not null && existing.Gid != gid)
            throw new MappingConflictException($"project '{ucloudProjectId}' is already mapped to group {existing.LocalGroup} (gid {existing.Gid}); remove that mapping first");
        var other = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"select {Columns} from projects where gid = @gid and ucloud_project_id <> @ucloudProjectId", new { gid = (long)gid, ucloudProjectId }, tx, cancellationToken: ct));
        if (other is not null)
            throw new MappingConflictException($"group {localGroup} (gid {gid}) is already the group of project '{other.Title}' ({other.UcloudProjectId})");
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await c.ExecuteAsync(new CommandDefinition(
            """
            insert into projects (ucloud_project_id, title, local_group, gid, created_at)
            values (@ucloudProjectId, @title, @localGroup, @gid, @now)
            on conflict (ucloud_project_id) do update set title = excluded.title, local_group = excluded.local_group
            """,
            new { ucloudProjectId, title, localGroup, gid = (long)gid, now }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return new ProjectMapping(ucloudProjectId, title, localGroup, gid, DateTimeOffset.FromUnixTimeMilliseconds(existing?.CreatedAt ?? now));
    }

    public async Task<bool> DeleteAsync(string ucloudProjectId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "delete from projects where ucloud_project_id = @ucloudProjectId", new { ucloudProjectId }, cancellationToken: ct)) > 0;
    }

    private sealed record Row(string UcloudProjectId, string Title, string LocalGroup, long Gid, long CreatedAt)
    {
        public ProjectMapping ToMapping() => new(UcloudProjectId, Title, LocalGroup, (uint)Gid, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
