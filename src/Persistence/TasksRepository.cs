using Dapper;

namespace UcloudIm.Persistence;

/// <summary>A background task as the server keeps it. States are Core's: RUNNING, SUCCESS, FAILURE, CANCELLED.</summary>
public sealed record BackgroundTask(
    string Id, uint OwnerUid, string UcloudUsername, string CoreId, string Kind, string Title, string Spec,
    string State, string? Progress, int? Percentage, int Version, int ReportedVersion, DateTimeOffset UpdatedAt)
{
    public bool IsFinished => State is TaskStates.Success or TaskStates.Failure or TaskStates.Cancelled;
}

public static class TaskStates
{
    public const string Running = "RUNNING";
    public const string Success = "SUCCESS";
    public const string Failure = "FAILURE";
    public const string Cancelled = "CANCELLED";

    public static bool IsKnown(string s) => s is Running or Success or Failure or Cancelled;
}

public sealed class TasksRepository(Database db, TimeProvider time)
{
    private const string Columns =
        "id as Id, owner_uid as OwnerUid, ucloud_username as UcloudUsername, core_id as CoreId, kind as Kind, title as Title, spec as Spec, " +
        "state as State, progress as Progress, percentage as Percentage, version as Version, reported_version as ReportedVersion, updated_at as UpdatedAt";

    public async Task<BackgroundTask> CreateAsync(uint ownerUid, string ucloudUsername, string coreId, string kind, string title, string spec, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var id = Guid.NewGuid().ToString("N");
        await using var c = await db.OpenAsync(ct);
        // Core made the task (and so knows its first state): version 1 is reported.
        await c.ExecuteAsync(new CommandDefinition(
            "insert into tasks (id, owner_uid, ucloud_username, core_id, kind, title, spec, state, version, reported_version, created_at, updated_at) " +
            "values (@id, @ownerUid, @ucloudUsername, @coreId, @kind, @title, @spec, 'RUNNING', 1, 1, @now, @now)",
            new { id, ownerUid = (long)ownerUid, ucloudUsername, coreId, kind, title, spec, now }, cancellationToken: ct));
        return (await FindAsync(id, ct))!;
    }

    public async Task<BackgroundTask?> FindAsync(string id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"select {Columns} from tasks where id = @id", new { id }, cancellationToken: ct));
        return row?.ToTask();
    }

    public async Task<IReadOnlyList<BackgroundTask>> UnfinishedAsync(uint? ownerUid, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition(
            $"select {Columns} from tasks where state = 'RUNNING'" + (ownerUid is null ? "" : " and owner_uid = @uid") + " order by created_at",
            new { uid = (long?)ownerUid }, cancellationToken: ct));
        return rows.Select(r => r.ToTask()).ToList();
    }

    /// <summary>Records a state change; a finished task never changes again (false then).</summary>
    public async Task<bool> UpdateAsync(string id, string state, string? progress, int? percentage, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var n = await c.ExecuteAsync(new CommandDefinition(
            "update tasks set state = @state, progress = @progress, percentage = @percentage, version = version + 1, updated_at = @now " +
            "where id = @id and state = 'RUNNING'",
            new { id, state, progress, percentage, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return n == 1;
    }

    public async Task<IReadOnlyList<BackgroundTask>> UnreportedAsync(int limit, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition(
            $"select {Columns} from tasks where reported_version < version order by updated_at limit @limit", new { limit }, cancellationToken: ct));
        return rows.Select(r => r.ToTask()).ToList();
    }

    /// <summary>Core accepted the state at <paramref name="version"/> (a later change stays unreported).</summary>
    public async Task MarkReportedAsync(string id, int version, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "update tasks set reported_version = @version where id = @id and reported_version < @version", new { id, version }, cancellationToken: ct));
    }

    private sealed record Row(string Id, long OwnerUid, string UcloudUsername, string CoreId, string Kind, string Title, string Spec,
        string State, string? Progress, long? Percentage, long Version, long ReportedVersion, long UpdatedAt)
    {
        public BackgroundTask ToTask() => new(Id, (uint)OwnerUid, UcloudUsername, CoreId, Kind, Title, Spec, State, Progress,
            Percentage is null ? null : (int)Percentage, (int)Version, (int)ReportedVersion, DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt));
    }
}
