using System.Security.Cryptography;
using System.Text;
using Dapper;

namespace UcloudIm.Persistence;

public sealed record WebTarget(string Host, int Port, DateTimeOffset SessionExpires);

/// <summary>
/// Interactive-application endpoints and their browser sessions. A session is valid only for its own
/// domain, until it expires, and only while the job behind the domain is running: the check joins the
/// jobs table, so a finished job's app is closed the moment the monitor records the end.
/// </summary>
public sealed class WebEndpointsRepository(Database db, TimeProvider time)
{
    /// <summary>Points a domain at a target (replacing an earlier registration) with a fresh one-time authorize token.</summary>
    public async Task RegisterAsync(string domain, string coreId, uint ownerUid, string host, int port, string authorizeToken, TimeSpan tokenLifetime, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("delete from web_sessions where expires_at < @now", new { now = now.ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition(
            "insert into web_endpoints (domain, core_id, owner_uid, target_host, target_port, authorize_hash, authorize_expires, created_at) " +
            "values (@domain, @coreId, @uid, @host, @port, @hash, @expires, @now) " +
            "on conflict (domain) do update set core_id = excluded.core_id, owner_uid = excluded.owner_uid, target_host = excluded.target_host, " +
            "target_port = excluded.target_port, authorize_hash = excluded.authorize_hash, authorize_expires = excluded.authorize_expires",
            new { domain, coreId, uid = (long)ownerUid, host, port = (long)port, hash = Hash(authorizeToken), expires = (now + tokenLifetime).ToUnixTimeMilliseconds(), now = now.ToUnixTimeMilliseconds() },
            tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>Trades the one-time token for a session; null (and the token spent all the same) when it is not valid.</summary>
    public async Task<string?> AuthorizeAsync(string domain, string authorizeToken, TimeSpan sessionLifetime, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var spent = await c.ExecuteAsync(new CommandDefinition(
            "update web_endpoints set authorize_hash = null, authorize_expires = null " +
            "where domain = @domain and authorize_hash = @hash and authorize_expires >= @now " +
            "and exists (select 1 from jobs j where j.core_id = web_endpoints.core_id and j.state = 'RUNNING')",
            new { domain, hash = Hash(authorizeToken), now }, tx, cancellationToken: ct));
        if (spent != 1)
        {
            await tx.CommitAsync(ct);
            return null;
        }
        var session = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await c.ExecuteAsync(new CommandDefinition("insert into web_sessions (session_hash, domain, expires_at) values (@hash, @domain, @expires)",
            new { hash = Hash(session), domain, expires = now + (long)sessionLifetime.TotalMilliseconds }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return session;
    }

    /// <summary>Where the session leads, or null: unknown, expired, another domain's, or the job is not running.</summary>
    public async Task<WebTarget?> ResolveAsync(string domain, string session, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<TargetRow>(new CommandDefinition(
            "select e.target_host as Host, e.target_port as Port, s.expires_at as Expires from web_sessions s " +
            "join web_endpoints e on e.domain = s.domain join jobs j on j.core_id = e.core_id " +
            "where s.session_hash = @hash and s.domain = @domain and s.expires_at > @now and j.state = 'RUNNING'",
            new { hash = Hash(session), domain, now }, cancellationToken: ct));
        return row is null ? null : new WebTarget(row.Host, (int)row.Port, DateTimeOffset.FromUnixTimeMilliseconds(row.Expires));
    }

    /// <summary>
    /// Removes the endpoints of jobs that have ended, with their sessions (they stopped working at the end
    /// already: this keeps the tables from growing). Returns how many endpoints went.
    /// </summary>
    public async Task<int> ForgetEndedAsync(CancellationToken ct)
    {
        const string ended = "select e.domain from web_endpoints e join jobs j on j.core_id = e.core_id where j.state in ('SUCCESS', 'FAILURE', 'EXPIRED')";
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition($"delete from web_sessions where domain in ({ended})", transaction: tx, cancellationToken: ct));
        var gone = await c.ExecuteAsync(new CommandDefinition($"delete from web_endpoints where domain in ({ended})", transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return gone;
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private sealed record TargetRow(string Host, long Port, long Expires);
}
