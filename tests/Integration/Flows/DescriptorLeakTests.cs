using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>
/// A proxy that leaks a socket or a file descriptor per request dies after a week of traffic (CHP's leaks in
/// peers-lessons §10). Waves of traffic, each connection fresh and many cut off early, must leave the gateway
/// and the user's instance holding no more descriptors than after the first wave.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class DescriptorLeakTests(Stack stack)
{
    private const int Waves = 15;
    private const int Warmup = 3;
    /// <summary>How many waves' counts are averaged at each end of the measured waves.</summary>
    private const int Window = 4;

    [Fact]
    public async Task Waves_of_fresh_connections_downloads_cut_short_and_websockets_leave_no_descriptor_behind()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = await stack.CreateUserAsync();
        await Stack.WriteFileAsync(user, "data.bin", RandomNumberGenerator.GetBytes(4 << 20));
        Assert.Equal(200, (await stack.BrowseAsync(user)).Status);
        var instance = (await stack.InstanceOf(user))!;

        var counts = new List<(int Gateway, int Instance)>();
        for (var wave = 0; wave < Waves; wave++)
        {
            await WaveAsync(user, ct);
            // Closed connections are closed by now on both ends; what stays open is pools and listeners.
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            var now = (await stack.InstanceOf(user))!;
            Assert.True(now.SudoPid == instance.SudoPid, "the instance was replaced during the test; its descriptors cannot be compared");
            counts.Add((Descriptors(stack.GatewayPid), Listeners.Tree(instance.SudoPid).Sum(Descriptors)));
        }
        // The first waves warm the process up (tiered JIT, connection pools). After them, a leak grows the count
        // wave after wave, while the connection pools only move it up and down: how many pooled connections to the
        // instance survive a wave depends on how many requests overlapped and how many were cut off (11 to 24 in one
        // run, 237 to 250 descriptors in all in a CI run that read one sample at each end). So the test averages the
        // first and the last four measured waves: they are eight waves apart, and the rarest request here (5 searches
        // a wave) leaking one descriptor each would put 40 between the averages, downloads 160.
        var measured = counts[Warmup..];
        var seen = string.Join(", ", counts.Select(c => $"{c.Gateway}/{c.Instance}"));
        Assert.True(Growth(measured.Select(c => c.Gateway)) <= 20, $"the gateway's descriptors grew wave after wave (gateway/instance: {seen})");
        Assert.True(Growth(measured.Select(c => c.Instance)) <= 20, $"the instance's descriptors grew wave after wave (gateway/instance: {seen})");
    }

    private static double Growth(IEnumerable<int> counts)
    {
        var all = counts.ToList();
        return all.TakeLast(Window).Average() - all.Take(Window).Average();
    }

    /// <summary>20 downloads on fresh connections (half cut off after their first bytes), 10 browses, 5 searches (WebSockets).</summary>
    private async Task WaveAsync(TestUser user, CancellationToken ct)
    {
        var downloads = Enumerable.Range(0, 20).Select(async i =>
        {
            var link = await stack.DownloadLinkAsync(user, $"/{user.Drive}/data.bin");
            using var fresh = new HttpClient(stack.Tls.CreateHandler()) { Timeout = TimeSpan.FromSeconds(60) };
            using var request = new HttpRequestMessage(HttpMethod.Get, link);
            if (i % 4 == 1) request.Headers.Range = new RangeHeaderValue(1 << 20, (2 << 20) - 1);
            using var response = await fresh.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            Assert.True(response.IsSuccessStatusCode, $"download answered {(int)response.StatusCode}");
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[64 << 10];
            if (i % 2 == 0)
            {
                // Cut off: the client goes away with most of the file unsent.
                await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
                return;
            }
            while (await body.ReadAsync(buffer, ct) > 0) { }
        });
        var browses = Enumerable.Range(0, 10).Select(async _ => Assert.Equal(200, (await stack.BrowseAsync(user)).Status));
        var searches = Enumerable.Range(0, 5).Select(async _ =>
        {
            using var response = await stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/files/search",
                new StringContent(new JsonObject { ["path"] = $"/{user.Drive}", ["query"] = "data" }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), ct);
            Assert.Equal(200, JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["status"]!.GetValue<int>());
        });
        await Task.WhenAll(downloads.Concat(browses).Concat(searches));
    }

    private static int Descriptors(int pid) => Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
}
