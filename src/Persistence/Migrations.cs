using System.Reflection;
using Dapper;

namespace UcloudIm.Persistence;

/// <summary>Embedded, append-only SQL migrations, recorded in schema_migrations.</summary>
internal static class Migrations
{
    public static async Task ApplyAsync(Database db, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(
            "create table if not exists schema_migrations (id text primary key, applied_at bigint not null)");
        var applied = (await connection.QueryAsync<string>("select id from schema_migrations")).ToHashSet();
        foreach (var (id, sql) in Embedded())
        {
            if (applied.Contains(id)) continue;
            await using var tx = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(sql, transaction: tx);
            await connection.ExecuteAsync("insert into schema_migrations (id, applied_at) values (@id, @at)",
                new { id, at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx);
            await tx.CommitAsync(ct);
        }
    }

    internal static IEnumerable<(string Id, string Sql)> Embedded()
    {
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Migrations.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return (name["Migrations.".Length..^".sql".Length], reader.ReadToEnd());
        }
    }
}
