using System.Security.Cryptography;
using Dapper;

namespace UcloudIm.Persistence;

/// <summary>Random keys made once and kept: the same key after every restart, on SQLite and PostgreSQL.</summary>
public sealed class ServerKeysRepository(Database db, TimeProvider time)
{
    public async Task<byte[]> GetOrCreateAsync(string name, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        // Two servers racing on first start keep the first key written: insert-if-absent, then read.
        await c.ExecuteAsync(new CommandDefinition(
            "insert into server_keys (name, value, created_at) values (@name, @value, @now) on conflict (name) do nothing",
            new { name, value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), now = time.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: ct));
        var value = await c.QuerySingleAsync<string>(new CommandDefinition("select value from server_keys where name = @name", new { name }, cancellationToken: ct));
        return Convert.FromBase64String(value);
    }
}
