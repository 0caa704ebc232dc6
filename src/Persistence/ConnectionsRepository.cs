using Dapper;

namespace UcloudIm.Persistence;

/// <summary>A UCloud user mapped to a local user. Inactive once expiresAt has passed (unlinked or expired).</summary>
public sealed record Connection(string UcloudUsername, string LocalUsername, uint Uid, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt)
{
    public bool IsActiveAt(DateTimeOffset now) => ExpiresAt is null || ExpiresAt > now;
}

/// <summary>The mapping would move a UCloud user to another uid: that would hand one person's files to another.</summary>
public sealed class MappingConflictException(string message) : Exception(message);

public sealed class ConnectionsRepository(Database db, TimeProvider time)
{
    private const string Columns =
        "ucloud_username as UcloudUsername, local_username as LocalUsername, uid as Uid, created_at as CreatedAt, expires_at as ExpiresAt";

    public async Task<Connection?> FindAsync(string ucloudUsername, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"select {Columns} from connections where ucloud_username = @ucloudUsername", new { ucloudUsername }, cancellationToken: ct));
        return row?.ToConnection();
    }

    public async Task<Connection?> FindByUidAsync(uint uid, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"select {Columns} from connections where uid = @uid", new { uid = (long)uid }, cancellationToken: ct));
        return row?.ToConnection();
    }

    public async Task<IReadOnlyList<Connection>> ListAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition(
            $"select {Columns} from connections order by ucloud_username", cancellationToken: ct));
        return rows.Select(r => r.ToConnection()).ToList();
    }

    /// <summary>
    /// Maps (or re-activates) a UCloud user. A UCloud user already mapped to another uid, or a uid already
    /// mapped to another UCloud user, is refused: an admin must remove the old mapping first.
    /// </summary>
    public async Task<Connection> RegisterAsync(string ucloudUsername, string localUsername, uint uid, DateTimeOffset? expiresAt, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var existing = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"select {Columns} from connections where ucloud_username = @ucloudUsername", new { ucloudUsername }, tx, cancellationToken: ct));
        if (existing is not null && existing.Uid != uid)
            throw new MappingConflictException(
                $"UCloud user '{ucloudUsername}' is already mapped to uid {existing.Uid} ({existing.LocalUsername}); remove that mapping first");
        var other = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"select {Columns} from connections where uid = @uid and ucloud_username <> @ucloudUsername", new { uid = (long)uid, ucloudUsername }, tx, cancellationToken: ct));
        if (other is not null)
            throw new MappingConflictException(
                $"local user {localUsername} (uid {uid}) is already mapped to UCloud user '{other.UcloudUsername}'");
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await c.ExecuteAsync(new CommandDefinition(
            """
            insert into connections (ucloud_username, local_username, uid, created_at, expires_at)
            values (@ucloudUsername, @localUsername, @uid, @now, @expires)
            on conflict (ucloud_username) do update set local_username = excluded.local_username, expires_at = excluded.expires_at
            """,
            new { ucloudUsername, localUsername, uid = (long)uid, now, expires = expiresAt?.ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return new Connection(ucloudUsername, localUsername, uid,
            existing is null ? DateTimeOffset.FromUnixTimeMilliseconds(now) : DateTimeOffset.FromUnixTimeMilliseconds(existing.CreatedAt), expiresAt);
    }

    /// <summary>Marks the mapping inactive from now (Core's integration/unlinked). False if there was none.</summary>
    public async Task<bool> ExpireAsync(string ucloudUsername, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var n = await c.ExecuteAsync(new CommandDefinition(
            "update connections set expires_at = @now where ucloud_username = @ucloudUsername",
            new { ucloudUsername, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return n > 0;
    }

    public async Task<bool> DeleteAsync(string ucloudUsername, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var n = await c.ExecuteAsync(new CommandDefinition(
            "delete from connections where ucloud_username = @ucloudUsername", new { ucloudUsername }, cancellationToken: ct));
        return n > 0;
    }

    private sealed record Row(string UcloudUsername, string LocalUsername, long Uid, long CreatedAt, long? ExpiresAt)
    {
        public Connection ToConnection() => new(UcloudUsername, LocalUsername, (uint)Uid,
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), ExpiresAt is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null);
    }
}
