using Dapper;

namespace UcloudIm.Persistence;

/// <summary>A followed job. Folder is where its job folder is (null for jobs tracked before it was recorded, or submitted outside UCloud).</summary>
public sealed record TrackedJob(string CoreId, long SlurmId, uint OwnerUid, string UcloudUsername, string State, string? Folder = null, string? ProjectId = null);

public sealed record StateChange(string CoreId, string State, string Status);

public sealed record JobUpdate(long Seq, string CoreId, string State, string Status, DateTimeOffset CreatedAt);

/// <summary>
/// Jobs and their state changes. A change is the job's state and a new row in job_updates (one poll's changes share a transaction),
/// which stays until Core has accepted it. Sequence numbers only grow, so updates go out in order.
/// </summary>
public sealed class JobsRepository(Database db, TimeProvider time)
{
    private const string Columns = "core_id as CoreId, slurm_id as SlurmId, owner_uid as OwnerUid, ucloud_username as UcloudUsername, state as State, " +
        "folder as Folder, project_id as ProjectId";
    private static readonly string[] Final = ["SUCCESS", "FAILURE", "EXPIRED"];
    private readonly SemaphoreSlim _seqLock = new(1, 1);
    private long _seq = -1;

    /// <summary>Starts following a job, IN_QUEUE with <paramref name="statuses"/> as its first updates, in order.</summary>
    public async Task TrackAsync(string coreId, long slurmId, uint ownerUid, string ucloudUsername, IReadOnlyList<string> statuses, string? folder, string? projectId,
        CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var inserted = await c.ExecuteAsync(new CommandDefinition(
            "insert into jobs (core_id, slurm_id, owner_uid, ucloud_username, state, submitted_at, updated_at, folder, project_id) " +
            "values (@coreId, @slurmId, @uid, @ucloudUsername, 'IN_QUEUE', @now, @now, @folder, @projectId) on conflict (core_id) do nothing",
            new { coreId, slurmId, uid = (long)ownerUid, ucloudUsername, now, folder, projectId }, tx, cancellationToken: ct));
        if (inserted == 1)
        {
            foreach (var status in statuses) await AddUpdate(c, tx, coreId, "IN_QUEUE", status, now, ct);
        }
        else
        {
            // The same job told twice is fine; another Slurm job under the same Core id is not.
            var existing = await c.ExecuteScalarAsync<long>(new CommandDefinition("select slurm_id from jobs where core_id = @coreId", new { coreId }, tx, cancellationToken: ct));
            if (existing != slurmId) throw new MappingConflictException($"Core's job {coreId} is already Slurm job {existing}");
        }
        await tx.CommitAsync(ct);
    }

    public async Task<TrackedJob?> FindBySlurmIdAsync(long slurmId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"select {Columns} from jobs where slurm_id = @slurmId",
            new { slurmId }, cancellationToken: ct));
        return row?.ToJob();
    }

    /// <summary>Those of <paramref name="slurmIds"/> no job here has (finished ones included).</summary>
    public async Task<IReadOnlySet<long>> UntrackedAsync(IReadOnlyList<long> slurmIds, CancellationToken ct)
    {
        if (slurmIds.Count == 0) return new HashSet<long>();
        await using var c = await db.OpenAsync(ct);
        var known = (await c.QueryAsync<long>(new CommandDefinition(
            $"select slurm_id from jobs where slurm_id in ({string.Join(',', slurmIds.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)))})",
            cancellationToken: ct))).ToHashSet();
        return slurmIds.Where(i => !known.Contains(i)).ToHashSet();
    }

    public async Task<IReadOnlyList<TrackedJob>> ActiveAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<Row>(new CommandDefinition(
            $"select {Columns} from jobs where state not in ('SUCCESS', 'FAILURE', 'EXPIRED')", cancellationToken: ct))).Select(r => r.ToJob()).ToList();
    }

    /// <summary>
    /// Records the new states of one poll in one transaction, so a poll that changes hundreds of jobs costs one
    /// commit (one fsync), not one each. A change is skipped when the job already has that state or is already
    /// final: a final state never changes. Returns how many jobs changed.
    /// </summary>
    public async Task<int> RecordAsync(IReadOnlyCollection<StateChange> changes, CancellationToken ct)
    {
        if (changes.Count == 0) return 0;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var count = 0;
        foreach (var (coreId, state, status) in changes)
        {
            var changed = await c.ExecuteAsync(new CommandDefinition(
                "update jobs set state = @state, updated_at = @now where core_id = @coreId and state <> @state and state not in ('SUCCESS', 'FAILURE', 'EXPIRED')",
                new { coreId, state, now }, tx, cancellationToken: ct));
            if (changed != 1) continue;
            await AddUpdate(c, tx, coreId, state, status, now, ct);
            count++;
        }
        await tx.CommitAsync(ct);
        return count;
    }

    public async Task<IReadOnlyList<JobUpdate>> UnsentAsync(int limit, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<UpdateRow>(new CommandDefinition(
            "select seq as Seq, core_id as CoreId, state as State, status as Status, created_at as CreatedAt from job_updates where sent_at is null order by seq limit @limit",
            new { limit }, cancellationToken: ct))).Select(r => new JobUpdate(r.Seq, r.CoreId, r.State, r.Status, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt))).ToList();
    }

    public async Task MarkSentAsync(IEnumerable<long> seqs, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("update job_updates set sent_at = @now where seq = @seq",
            seqs.Select(seq => new { seq, now }).ToList(), tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public static bool IsFinal(string state) => Final.Contains(state);

    private async Task AddUpdate(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string coreId, string state, string status, long now, CancellationToken ct)
    {
        await _seqLock.WaitAsync(ct);
        try
        {
            if (_seq < 0) _seq = await c.ExecuteScalarAsync<long?>(new CommandDefinition("select max(seq) from job_updates", transaction: tx, cancellationToken: ct)) ?? 0;
            _seq = Math.Max(_seq + 1, now * 1000);
            await c.ExecuteAsync(new CommandDefinition(
                "insert into job_updates (seq, core_id, state, status, created_at) values (@seq, @coreId, @state, @status, @now)",
                new { seq = _seq, coreId, state, status, now }, tx, cancellationToken: ct));
        }
        finally
        {
            _seqLock.Release();
        }
    }

    private sealed record Row(string CoreId, long SlurmId, long OwnerUid, string UcloudUsername, string State, string? Folder, string? ProjectId)
    {
        public TrackedJob ToJob() => new(CoreId, SlurmId, (uint)OwnerUid, UcloudUsername, State, Folder, ProjectId);
    }

    private sealed record UpdateRow(long Seq, string CoreId, string State, string Status, long CreatedAt);
}
