using UcloudIm.Configuration;

namespace UcloudIm.Tests.Unit.Configuration;

public sealed class ConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imconf").FullName;

    private const string Minimal = """
        provider:
          id: dev
          hosts:
            ucloud: { address: 127.0.0.1, port: 8800, scheme: http }
            self: { address: 127.0.0.1, port: 8889 }
        """;

    private void Write(string name, string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
    }

    [Fact]
    public void A_minimal_config_loads_with_documented_defaults()
    {
        Write("config.yml", Minimal);
        var c = ImConfig.Load(_dir, ConfigReader.Gateway);
        Assert.Equal("dev", c.Provider.Id);
        Assert.Equal(new Uri("http://127.0.0.1:8800"), c.Provider.Ucloud.ToUri());
        Assert.Equal("http", c.Provider.Self.Scheme);
        Assert.Equal("/run/ucloud-im/server.sock", c.Provider.ServerSocket);
        Assert.Equal(InstanceOptions.Defaults, c.Instances);
        Assert.Equal(TimeSpan.FromMinutes(30), c.Instances.IdleTimeout);
        Assert.True(c.Instances.Terminals);
        Assert.True(c.Gateway.HoldUntilReady);
        Assert.Null(c.Server);
    }

    [Fact]
    public void Port_443_without_a_scheme_means_https()
    {
        Write("config.yml", Minimal.Replace("port: 8800, scheme: http", "port: 443"));
        Assert.Equal("https", ImConfig.Load(_dir, ConfigReader.Gateway).Provider.Ucloud.Scheme);
    }

    [Fact]
    public void An_unknown_key_is_an_error_naming_file_key_and_line()
    {
        Write("config.yml", Minimal + "\n  ipcc:\n    directory: /x\n");
        var e = Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway));
        Assert.Equal("config.yml", e.File);
        Assert.Equal("provider.ipcc", e.Key);
        Assert.Contains("unknown key", e.Message);
        Assert.Contains("line 6", e.Message);
    }

    [Theory]
    [InlineData("port: 8800", "port: eighty", "provider.hosts.ucloud.port", "whole number")]
    [InlineData("port: 8800", "port: 70000", "provider.hosts.ucloud.port", "between 1 and 65535")]
    [InlineData("id: dev", "id: 'dev/../x'", "provider.id", "not a valid provider id")]
    [InlineData("scheme: http }", "scheme: gopher }", "provider.hosts.ucloud.scheme", "http or https")]
    public void Bad_values_name_the_key(string find, string replace, string key, string problem)
    {
        Write("config.yml", Minimal.Replace(find, replace));
        var e = Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway));
        Assert.Equal(key, e.Key);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void A_missing_required_key_is_named()
    {
        Write("config.yml", Minimal.Replace("  id: dev\n", ""));
        Assert.Equal("provider.id", Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway)).Key);
    }

    [Fact]
    public void User_instance_settings_are_read_and_checked()
    {
        Write("config.yml", Minimal + "\nuserInstances:\n  idleTimeout: 90s\n  minimumUid: 5000\n  allowedGroup: hpc\n  terminals: false\n");
        var c = ImConfig.Load(_dir, ConfigReader.Gateway);
        Assert.Equal((TimeSpan.FromSeconds(90), 5000u, "hpc", false), (c.Instances.IdleTimeout, c.Instances.MinimumUid, c.Instances.AllowedGroup, c.Instances.Terminals));

        Write("config.yml", Minimal + "\nuserInstances:\n  idleTimeout: soon\n");
        Assert.Equal("userInstances.idleTimeout", Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway)).Key);

        Write("config.yml", Minimal + "\nuserInstances:\n  executable: ucloud-im-user\n");
        Assert.Equal("userInstances.executable", Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway)).Key);
    }

    [Fact]
    public void Ssh_keys_are_installed_only_when_asked_and_only_into_a_file_under_the_home_folder()
    {
        Write("config.yml", Minimal);
        Assert.Equal(new SshOptions(false, ".ssh/authorized_keys"), ImConfig.Load(_dir, ConfigReader.Gateway).Ssh);

        Write("config.yml", Minimal + "\nservices:\n  ssh: { installKeys: true, authorizedKeysFile: .ssh/authorized_keys.ucloud }\n");
        Assert.Equal(new SshOptions(true, ".ssh/authorized_keys.ucloud"), ImConfig.Load(_dir, ConfigReader.Gateway).Ssh);

        foreach (var bad in new[] { "/etc/ssh/keys", "../bob/.ssh/authorized_keys", ".ssh//keys", ".ssh/" })
        {
            Write("config.yml", Minimal + $"\nservices:\n  ssh: {{ installKeys: true, authorizedKeysFile: \"{bad}\" }}\n");
            Assert.Equal("services.ssh.authorizedKeysFile", Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway)).Key);
        }
        Write("config.yml", Minimal + "\nservices:\n  ssh: { enabled: true }\n");
        Assert.Equal("services.ssh.enabled", Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway)).Key);
    }

    [Fact]
    public void The_ssh_login_a_job_names_is_a_host_and_a_port_and_nothing_a_shell_would_read_more_into()
    {
        Write("config.yml", Minimal + "\nservices:\n  ssh: { host: login.hpc.example.org, port: 2222 }\n");
        var ssh = ImConfig.Load(_dir, ConfigReader.Gateway).Ssh;
        Assert.Equal(new SshOptions(false, ".ssh/authorized_keys", "login.hpc.example.org", 2222), ssh);
        Assert.Equal("SSH: log in with 'ssh alice@login.hpc.example.org -p 2222'; while the job runs, 'srun --jobid 42 --overlap --pty bash -l' there opens a shell inside it",
            ssh.JobStatus("alice", 42));
        Assert.Contains("'ssh alice@10.0.0.5';", (SshOptions.Defaults with { Host = "10.0.0.5" }).JobStatus("alice", 42));
        Assert.StartsWith("SSH was asked for, but this provider has no SSH login", SshOptions.Defaults.JobStatus("alice", 42));
        foreach (var bad in new[] { "\"login; rm -rf ~\"", "\"login host\"", "\"user@login\"", "\"login:22\"" })
        {
            Write("config.yml", Minimal + $"\nservices:\n  ssh: {{ host: {bad} }}\n");
            Assert.Equal("services.ssh.host", Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway)).Key);
        }
        Write("config.yml", Minimal + "\nservices:\n  ssh: { host: login, port: 70000 }\n");
        Assert.Equal("services.ssh.port", Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway)).Key);
    }

    [Fact]
    public void A_projects_jobs_are_charged_to_the_account_named_by_its_group_unless_configured_otherwise()
    {
        Write("config.yml", Minimal + "\nservices:\n  slurm: {}\n");
        Assert.Equal("chem", ImConfig.Load(_dir, ConfigReader.Gateway).Slurm.ProjectAccountFor("chem", "7f0c", 5001));
        Write("config.yml", Minimal + "\nservices:\n  slurm: { projectAccountPattern: \"p#{gid}-#{ucloudProjectId}\" }\n");
        Assert.Equal("p5001-7f0c", ImConfig.Load(_dir, ConfigReader.Gateway).Slurm.ProjectAccountFor("chem", "7f0c", 5001));
        Write("config.yml", Minimal + "\nservices:\n  slurm: { projectAccountPattern: none }\n");
        Assert.Null(ImConfig.Load(_dir, ConfigReader.Gateway).Slurm.ProjectAccountFor("chem", "7f0c", 5001));
        Write("config.yml", Minimal + "\nservices:\n  slurm: { projectAccountPattern: \"#{localUsername}\" }\n");
        var e = Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway));
        Assert.Equal("services.slurm.projectAccountPattern", e.Key);
        Assert.Contains("unknown variable #{localUsername}", e.Message);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("30m", 1_800_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1.5s", 1_500)]
    public void Durations_carry_their_unit(string text, int ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), YamlSection.ParseDuration(text));

    [Theory]
    [InlineData("10")]
    [InlineData("ten seconds")]
    [InlineData("-5s")]
    public void Durations_without_a_unit_are_refused(string text) => Assert.Null(YamlSection.ParseDuration(text));

    [Theory]
    [InlineData("768KiB", 786_432L)]
    [InlineData("16MiB", 16_777_216L)]
    [InlineData("1GiB", 1_073_741_824L)]
    [InlineData(" 8 MiB ", 8_388_608L)]
    public void Sizes_carry_their_binary_unit(string text, long bytes)
    {
        Assert.Equal(bytes, YamlSection.ParseSize(text));
        Assert.Equal(text.Replace(" ", ""), YamlSection.FormatSize(bytes));
    }

    [Theory]
    [InlineData("8")]
    [InlineData("8MB")]
    [InlineData("8mib")]
    [InlineData("1.5GiB")]
    [InlineData("-1MiB")]
    [InlineData("99999999999999999GiB")]
    [InlineData("\u0668MiB")]   // an Arabic-Indic eight: a digit to the pattern, not to a byte count
    public void Sizes_without_a_unit_or_out_of_range_are_refused(string text) => Assert.Null(YamlSection.ParseSize(text));

    [Fact]
    public void The_server_reads_server_yml_with_sqlite_by_default_and_postgres_when_configured()
    {
        Write("config.yml", Minimal);
        Write("server.yml", "refreshToken: abc\n");
        var sqlite = ImConfig.Load(_dir, ConfigReader.Server).Server!;
        Assert.Equal(("abc", null, ServerOptions.DefaultSqlitePath), (sqlite.RefreshToken, sqlite.Postgres, sqlite.SqlitePath));

        Write("server.yml", "refreshToken: abc\ndatabase:\n  host: { address: db, port: 5433 }\n  username: im\n  password: pw\n  database: im\n  ssl: true\n");
        var pg = ImConfig.Load(_dir, ConfigReader.Server).Server!.Postgres!;
        Assert.Contains("SSL Mode=Require", pg.ConnectionString);
        Assert.Contains("Port=5433", pg.ConnectionString);
    }

    [Fact]
    public void A_server_yml_other_users_can_read_is_refused()
    {
        Write("config.yml", Minimal);
        Write("server.yml", "refreshToken: abc\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var e = Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Server));
        Assert.Equal("server.yml", e.File);
        Assert.Contains("chmod 600", e.Message);
    }

    [Fact]
    public void Only_the_server_reads_server_yml()
    {
        Write("config.yml", Minimal);
        Write("server.yml", "this: is not read by the gateway\n", UnixFileMode.UserRead | UnixFileMode.OtherRead);
        Assert.Null(ImConfig.Load(_dir, ConfigReader.Gateway).Server);
    }

    [Fact]
    public void Both_yml_and_yaml_is_ambiguous()
    {
        Write("config.yml", Minimal);
        Write("config.yaml", Minimal);
        Assert.Contains("keep one", Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway)).Message);
    }

    [Fact]
    public void Invalid_yaml_names_the_file_and_line()
    {
        Write("config.yml", "provider:\n  id: [unclosed\n");
        var e = Assert.Throws<ConfigException>(() => ImConfig.Load(_dir, ConfigReader.Gateway));
        Assert.Equal("config.yml", e.File);
        Assert.Contains("not valid YAML", e.Message);
    }

    [Fact]
    public void Core_key_accepts_cores_bare_base64_and_pem_and_refuses_garbage()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        using var bare = CoreKey.Parse("ucloud_key.pub", CoreKey.Export(rsa) + "\n");
        using var pem = CoreKey.Parse("ucloud_key.pub", rsa.ExportSubjectPublicKeyInfoPem());
        Assert.Equal(rsa.ExportParameters(false).Modulus, bare.ExportParameters(false).Modulus);
        Assert.Equal(rsa.ExportParameters(false).Modulus, pem.ExportParameters(false).Modulus);
        Assert.Throws<ConfigException>(() => CoreKey.Parse("ucloud_key.pub", "not a key"));
        using var weak = System.Security.Cryptography.RSA.Create(1024);
        Assert.Contains("too weak", Assert.Throws<ConfigException>(() => CoreKey.Parse("k", CoreKey.Export(weak))).Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
