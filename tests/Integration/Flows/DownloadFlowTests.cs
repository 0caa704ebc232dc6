using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>Downloads: Core asks for a link, the browser fetches it from the gateway with no Core token.</summary>
[Collection(StackCollection.Name)]
public sealed class DownloadFlowTests(Stack stack)
{
    private Task<string> LinkFor(TestUser user, string path) => stack.DownloadLinkAsync(user, path);

    private static Task WriteAs(TestUser user, string name, byte[] data) => Stack.WriteFileAsync(user, name, data);

    [Fact]
    public async Task A_file_downloads_whole_and_in_exact_ranges()
    {
        var user = await stack.CreateUserAsync();
        var data = RandomNumberGenerator.GetBytes(1_000_003);
        await WriteAs(user, "data.bin", data);
        var link = await LinkFor(user, $"/{user.Drive}/data.bin");
        Assert.DoesNotContain("Authorization", link);

        var whole = await stack.Browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(data, await whole.Content.ReadAsByteArrayAsync());

        foreach (var (from, to) in new (long, long?)[] { (0, 0), (17, 4096), (999_000, null), (500_000, 500_001) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, link);
            request.Headers.Range = new RangeHeaderValue(from, to);
            var part = await stack.Browser.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
            var end = to ?? data.Length - 1;
            Assert.Equal(data[(int)from..((int)end + 1)], await part.Content.ReadAsByteArrayAsync());
            Assert.Equal(data.Length, part.Content.Headers.ContentRange!.Length);
        }
        using var beyond = new HttpRequestMessage(HttpMethod.Get, link);
        beyond.Headers.Range = new RangeHeaderValue(5_000_000, null);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await stack.Browser.SendAsync(beyond)).StatusCode);
    }

    [Fact]
    public async Task A_resumed_download_gets_its_range_only_while_the_file_is_unchanged()
    {
        var user = await stack.CreateUserAsync();
        await WriteAs(user, "resume.bin", RandomNumberGenerator.GetBytes(10_000));
        var link = await LinkFor(user, $"/{user.Drive}/resume.bin");
        using var head = new HttpRequestMessage(HttpMethod.Head, link);
        var headers = await stack.Browser.SendAsync(head);
        Assert.Equal(HttpStatusCode.OK, headers.StatusCode);
        Assert.Equal(10_000, headers.Content.Headers.ContentLength);
        Assert.Empty(await headers.Content.ReadAsByteArrayAsync());
        var etag = headers.Headers.ETag!;

        using var cached = new HttpRequestMessage(HttpMethod.Get, link);
        cached.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await stack.Browser.SendAsync(cached)).StatusCode);

        async Task<HttpResponseMessage> ResumeFrom9000()
        {
            using var resume = new HttpRequestMessage(HttpMethod.Get, link);
            resume.Headers.Range = new RangeHeaderValue(9_000, null);
            resume.Headers.IfRange = new RangeConditionHeaderValue(etag);
            return await stack.Browser.SendAsync(resume);
        }
        var rest = await ResumeFrom9000();
        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        Assert.Equal(1_000, (await rest.Content.ReadAsByteArrayAsync()).Length);

        // The file changes (another size): resuming would splice two versions, so the whole new file comes.
        await WriteAs(user, "resume.bin", RandomNumberGenerator.GetBytes(12_000));
        var whole = await ResumeFrom9000();
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(12_000, (await whole.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task A_file_named_with_quotes_spaces_and_non_ascii_downloads_under_its_own_name()
    {
        var user = await stack.CreateUserAsync();
        const string name = "résumé \"final\" v2 ✓.txt";
        await WriteAs(user, name, "hello"u8.ToArray());
        var link = await LinkFor(user, $"/{user.Drive}/{name}");
        var response = await stack.Browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal(name, disposition.FileNameStar);
        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Alices_link_through_bobs_route_is_refused_plainly()
    {
        var alice = await stack.CreateUserAsync();
        var bob = await stack.CreateUserAsync();
        await WriteAs(alice, "secret.txt", "alice only"u8.ToArray());
        var link = await LinkFor(alice, $"/{alice.Drive}/secret.txt");
        var bobsHint = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(bob.UcloudName)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var hijacked = System.Text.RegularExpressions.Regex.Replace(link, "usernameHint=[^&]*", "usernameHint=" + bobsHint);
        var response = await stack.Browser.GetAsync(hijacked);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("belongs to another user", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_tampered_link_is_refused_and_a_link_survives_the_instance_being_stopped()
    {
        var user = await stack.CreateUserAsync();
        await WriteAs(user, "f.txt", "x"u8.ToArray());
        var link = await LinkFor(user, $"/{user.Drive}/f.txt");
        var tampered = link.Replace("token=", "token=A", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await stack.Browser.GetAsync(tampered)).StatusCode);

        await stack.Cli("instances", "stop", "--ucloud-name", user.UcloudName);
        Assert.Null(await stack.InstanceOf(user));
        var again = await stack.Browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("x", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_download_slower_than_the_idle_timeout_survives_its_instance_stopping()
    {
        var user = await stack.CreateUserAsync();
        // Larger than any socket buffer on the way, so the gateway is really still sending while we read.
        var data = RandomNumberGenerator.GetBytes(64 << 20);
        await WriteAs(user, "slow.bin", data);
        var link = await LinkFor(user, $"/{user.Drive}/slow.bin");
        using var response = await stack.Browser.GetAsync(link, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var received = new MemoryStream();
        var buffer = new byte[64 << 10];
        // Paced by the clock (reads return what one TLS record holds, often less than the buffer): the whole
        // body takes three idle timeouts, and the instance that opened the file is stopped a third of the way.
        var pace = Stack.IdleTimeout * 3;
        var started = DateTime.UtcNow;
        var stopped = false;
        int n;
        while ((n = await body.ReadAsync(buffer)) > 0)
        {
            received.Write(buffer, 0, n);
            if (!stopped && received.Length > data.Length / 3)
            {
                // The gateway serves the descriptor it was handed: the instance (reaped, stopped, crashed) is no
                // longer needed.
                await stack.Cli("instances", "stop", "--ucloud-name", user.UcloudName).ThrowIfFailed();
                Assert.Null(await stack.InstanceOf(user));
                stopped = true;
            }
            var due = started + pace * ((double)received.Length / data.Length);
            if (due > DateTime.UtcNow) await Task.Delay(due - DateTime.UtcNow);
        }
        Assert.True(stopped, "the body ended before a third of it arrived");
        Assert.True(DateTime.UtcNow - started > Stack.IdleTimeout * 2, "the download was not slow enough to prove anything");
        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public async Task An_expired_link_says_so()
    {
        var user = await stack.CreateUserAsync();
        await WriteAs(user, "f.txt", "x"u8.ToArray());
        var link = await LinkFor(user, $"/{user.Drive}/f.txt");
        await Task.Delay(Stack.LinkLifetime + TimeSpan.FromSeconds(1.5));
        var response = await stack.Browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("expired", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Folders_and_files_the_user_cannot_read_get_clear_errors()
    {
        var user = await stack.CreateUserAsync();
        var folder = await stack.ActAsync(user, "files/download", new JsonObject { ["path"] = $"/{user.Drive}/.." });
        Assert.Equal(400, folder.Status);
        // A folder comes as an archive, but not one its user may not read: a 403 now, not an empty archive later.
        await Shell.Ok("mkdir", "-m", "0700", $"/home/{user.LocalName}/dir");
        var dir = await stack.ActAsync(user, "files/download", new JsonObject { ["path"] = $"/{user.Drive}/dir" });
        Assert.Equal(403, dir.Status);
        Assert.Contains("you may not list the folder", dir.Why);
        await File.WriteAllTextAsync($"/home/{user.LocalName}/roots.txt", "no");
        await Shell.Ok("chmod", "0600", $"/home/{user.LocalName}/roots.txt");
        Assert.Equal(403, (await stack.ActAsync(user, "files/download", new JsonObject { ["path"] = $"/{user.Drive}/roots.txt" })).Status);
    }

    [Fact]
    public async Task A_folder_downloads_as_a_tar_archive_of_what_its_user_may_read()
    {
        var user = await stack.CreateUserAsync();
        var home = $"/home/{user.LocalName}";
        // Made as the user: nested folders, names with spaces, quotes and non-ASCII characters, a link that
        // points out of the drive, and a file its own user has made unreadable.
        await Shell.As(user.LocalName, "sh", "-c",
            $"mkdir -p '{home}/results/sub dir' && printf one > {home}/results/a.txt && printf 'twø' > '{home}/results/sub dir/bø \"q\".txt'"
            + $" && ln -s /etc/shadow {home}/results/link && printf no > {home}/results/locked && chmod 000 {home}/results/locked").ThrowIfFailed();
        var big = RandomNumberGenerator.GetBytes(3_000_001);
        await WriteAs(user, "results/big.bin", big);

        var link = await LinkFor(user, $"/{user.Drive}/results");
        using var response = await stack.Browser.GetAsync(link, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-tar", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("results.tar", response.Content.Headers.ContentDisposition!.FileNameStar);
        Assert.Null(response.Content.Headers.ContentLength);

        var entries = new Dictionary<string, (TarEntryType Type, byte[] Data, string Link, int Uid)>();
        await using (var tar = new TarReader(await response.Content.ReadAsStreamAsync()))
        {
            while (await tar.GetNextEntryAsync(copyData: true) is { } e)
            {
                using var data = new MemoryStream();
                if (e.DataStream is not null) await e.DataStream.CopyToAsync(data);
                entries.Add(e.Name, (e.EntryType, data.ToArray(), e.LinkName, ((PosixTarEntry)e).Uid));
            }
        }
        Assert.Equal(TarEntryType.Directory, entries["results"].Type);
        Assert.Equal(TarEntryType.Directory, entries["results/sub dir"].Type);
        Assert.Equal("one"u8.ToArray(), entries["results/a.txt"].Data);
        Assert.Equal("twø", System.Text.Encoding.UTF8.GetString(entries["results/sub dir/bø \"q\".txt"].Data));
        Assert.Equal(big, entries["results/big.bin"].Data);
        Assert.Equal((int)user.Uid, entries["results/big.bin"].Uid);
        // The link is stored as a link: what it points to is not read.
        Assert.Equal((TarEntryType.SymbolicLink, "/etc/shadow", 0), (entries["results/link"].Type, entries["results/link"].Link, entries["results/link"].Data.Length));
        // What the user cannot read is left out, and the archive says so.
        Assert.DoesNotContain("results/locked", entries.Keys);
        Assert.Contains("results/locked: not read (permission denied)", System.Text.Encoding.UTF8.GetString(entries["results/ucloud-download-errors.txt"].Data));
        Assert.Equal(7, entries.Count);

        // An archive cut short (its instance killed while it is written) is a failed download, not a short file.
        await WriteAs(user, "results/huge.bin", RandomNumberGenerator.GetBytes(96 << 20));
        using var cut = await stack.Browser.GetAsync(await LinkFor(user, $"/{user.Drive}/results"), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await cut.Content.ReadAsStreamAsync();
        var buffer = new byte[1 << 20];
        await body.ReadExactlyAsync(buffer);
        await Shell.Ok("kill", "-9", InstanceLifecycleTests.ChildOf((await stack.InstanceOf(user))!.SudoPid).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assert.ThrowsAnyAsync<IOException>(async () => { while (await body.ReadAsync(buffer) > 0) { } });
    }

    [Fact]
    public async Task A_fifo_is_no_download_and_a_link_whose_file_changed_says_why_when_used()
    {
        var user = await stack.CreateUserAsync();
        var home = $"/home/{user.LocalName}";
        await Shell.Ok("runuser", "-u", user.LocalName, "--", "mkfifo", $"{home}/pipe");
        var fifo = await stack.ActAsync(user, "files/download", new JsonObject { ["path"] = $"/{user.Drive}/pipe" });
        Assert.Equal(400, fifo.Status);
        Assert.Contains("not a regular file", fifo.Why);

        await WriteAs(user, "swapped", "x"u8.ToArray());
        await WriteAs(user, "locked", "x"u8.ToArray());
        var swapped = await LinkFor(user, $"/{user.Drive}/swapped");
        var locked = await LinkFor(user, $"/{user.Drive}/locked");
        // Between the link and its use, one name becomes a FIFO (which would block whoever opened it) and the
        // other file stops being readable by its user.
        await Shell.Ok("runuser", "-u", user.LocalName, "--", "sh", "-c", $"rm {home}/swapped && mkfifo {home}/swapped");
        await Shell.Ok("chmod", "0000", $"{home}/locked");

        var r = await stack.Browser.GetAsync(swapped, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("not a regular file", await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var l = await stack.Browser.GetAsync(locked, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, l.StatusCode);
        Assert.Contains("Permission denied", await l.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
