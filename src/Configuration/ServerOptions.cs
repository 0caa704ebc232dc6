namespace UcloudIm.Configuration;

/// <summary>PostgreSQL, from the <c>database:</c> section of server.yml.</summary>
public sealed record PostgresOptions(string Host, int Port, string Username, string Password, string Database, bool Ssl)
{
    public string ConnectionString =>
        $"Host={Host};Port={Port};Username={Username};Password={Password};Database={Database};SSL Mode={(Ssl ? "Require" : "Disable")};Maximum Pool Size=32";

    internal static PostgresOptions Read(YamlSection s)
    {
        var host = s.RequiredSection("host");
        var address = host.RequiredString("address");
        var port = host.Int("port", 5432, 1, 65535);
        host.Done();
        var o = new PostgresOptions(address, port, s.RequiredString("username"), s.String("password") ?? "",
            s.RequiredString("database"), s.Bool("ssl", false));
        s.Done();
        return o;
    }
}

/// <summary>server.yml: read only by the server, which must be the only reader (it holds the refresh token).</summary>
public sealed record ServerOptions(string RefreshToken, PostgresOptions? Postgres, string SqlitePath)
{
    public const string DefaultSqlitePath = "/var/lib/ucloud-im/ucloud-im.sqlite3";

    internal static ServerOptions Read(YamlSection s)
    {
        var token = s.RequiredString("refreshToken");
        var db = s.Section("database");
        var postgres = db is null ? null : PostgresOptions.Read(db);
        var sqlite = s.Section("sqlite");
        var sqlitePath = sqlite?.String("path") ?? DefaultSqlitePath;
        sqlite?.Done();
        if (!Path.IsPathFullyQualified(sqlitePath)) throw s.Error("sqlite.path", "must be an absolute path");
        s.Done();
        return new ServerOptions(token, postgres, sqlitePath);
    }
}
