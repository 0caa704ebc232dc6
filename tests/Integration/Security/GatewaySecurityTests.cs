using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Security;

/// <summary>What reaches the gateway from outside: only Core's tokens count, and identity headers are the gateway's own.</summary>
[Collection(StackCollection.Name)]
public sealed class GatewaySecurityTests(Stack stack)
{
    private static string Token(RSA key, string issuer = "cloud.sdu.dk", DateTimeOffset? expires = null, string role = "SERVICE") =>
        CoreTokens.Sign(key, issuer, expires, role);

    private RSA CoreKey() => CoreTokens.LoadKey(stack.CoreKeyPem);

    private async Task<HttpResponseMessage> Browse(TestUser user, string? token, Action<HttpRequestMessage>? tweak = null)
    {
        var body = new JsonObject
        {
            ["resolvedCollection"] = new JsonObject { ["id"] = user.Drive, ["providerGeneratedId"] = $"{Stack.ProviderId}-{user.UcloudName}\n/home/{user.LocalName}" },
            ["browse"] = new JsonObject { ["flags"] = new JsonObject { ["path"] = "/" + user.Drive } },
        };
        var request = new HttpRequestMessage(HttpMethod.Post, $"/ucloud/{Stack.ProviderId}/files/browse")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        request.Headers.TryAddWithoutValidation("UCloud-Username", Convert.ToBase64String(Encoding.UTF8.GetBytes(user.UcloudName)));
        tweak?.Invoke(request);
        return await stack.Gateway.SendAsync(request);
    }

    /// <summary>Puts the user's instance up through the proper path, so that a 401 below is the gateway's doing.</summary>
    private async Task<TestUser> RunningUser()
    {
        var user = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        return user;
    }

    [Fact]
    public async Task A_download_links_token_reaches_no_log_of_any_process()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = await stack.CreateUserAsync();
        await Stack.WriteFileAsync(user, "secret-link.txt", Encoding.UTF8.GetBytes("data"));
        var link = await stack.DownloadLinkAsync(user, $"/{user.Drive}/secret-link.txt");
        var token = System.Web.HttpUtility.ParseQueryString(new Uri(link).Query)["token"]!;
        Assert.True(token.Length > 20);
        for (var i = 0; i < 3; i++) Assert.Equal("data", await stack.Browser.GetStringAsync(link, ct));
        // Sandbox (and relay), server, gateway and every user instance: none wrote the token.
        foreach (var log in Directory.EnumerateFiles(stack.LogDir, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(token, await File.ReadAllTextAsync(log, ct));
    }

    [Fact]
    public async Task A_valid_core_token_is_forwarded()
    {
        var user = await RunningUser();
        using var key = CoreKey();
        Assert.Equal(HttpStatusCode.OK, (await Browse(user, Token(key))).StatusCode);
    }

    [Fact]
    public async Task Forged_expired_unsigned_wrong_key_and_wrong_issuer_tokens_are_refused()
    {
        var user = await RunningUser();
        using var core = CoreKey();
        using var attacker = RSA.Create(2048);
        static string B64(string s) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(s));
        var valid = Token(core);
        var parts = valid.Split('.');
        var forgedPayload = B64("{\"iss\":\"cloud.sdu.dk\",\"sub\":\"_UCloud\",\"role\":\"SERVICE\",\"exp\":" + DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds() + "}");
        var tokens = new Dictionary<string, string?>
        {
            ["none"] = null,
            ["expired"] = Token(core, expires: DateTimeOffset.UtcNow.AddMinutes(-5)),
            ["alg none"] = $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{forgedPayload}.",
            ["wrong key"] = Token(attacker),
            ["wrong issuer"] = Token(core, issuer: "evil.example.com"),
            ["payload swapped under a valid signature"] = $"{parts[0]}.{forgedPayload}.{parts[2]}",
            ["provider role"] = Token(core, role: "PROVIDER"),
        };
        foreach (var (what, token) in tokens)
        {
            var response = await Browse(user, token);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: got {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task A_refused_token_never_starts_an_instance()
    {
        var user = await stack.CreateUserAsync();
        using var attacker = RSA.Create(2048);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Browse(user, Token(attacker))).StatusCode);
        using var init = new HttpRequestMessage(HttpMethod.Post, $"/ucloud/{Stack.ProviderId}/integration/init")
        {
            Content = new StringContent($"{{\"username\":\"{user.UcloudName}\"}}", Encoding.UTF8, "application/json"),
        };
        init.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Token(attacker));
        Assert.Equal(HttpStatusCode.Unauthorized, (await stack.Gateway.SendAsync(init)).StatusCode);
        Assert.Null(await stack.InstanceOf(user));
    }

    [Fact]
    public async Task Spoofed_identity_headers_are_replaced_before_they_reach_the_instance()
    {
        // Each spoofed value, had it reached the instance, would make it refuse the request (wrong secret,
        // a payload that is not Core's service token, another user): a 200 proves the gateway replaced them.
        var user = await RunningUser();
        var other = await RunningUser();
        using var key = CoreKey();
        var response = await Browse(user, Token(key), r =>
        {
            r.Headers.TryAddWithoutValidation("ucloud-secret", "spoofed");
            r.Headers.TryAddWithoutValidation("x-jwt-payload", Base64UrlEncoder.Encode("{\"sub\":\"mallory\",\"role\":\"USER\"}"));
            r.Headers.TryAddWithoutValidation("ucloud-im-peer", "0");
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var listing = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["items"]!.AsArray();
        Assert.All(listing, f => Assert.Equal(user.Uid, f!["status"]!["unixOwner"]!.GetValue<uint>()));
        Assert.NotEqual(user.Uid, other.Uid);
    }

    [Fact]
    public async Task A_request_for_bob_is_served_by_bobs_instance_not_alices()
    {
        var alice = await RunningUser();
        var bob = await RunningUser();
        await Shell.Ok("chmod", "0700", $"/home/{alice.LocalName}");
        using var key = CoreKey();
        // Bob's request naming alice's home: bob's instance runs as bob and alice's home is 0700.
        var response = await Browse(bob with { Drive = alice.Drive, LocalName = alice.LocalName }, Token(key));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var a = (await stack.InstanceOf(alice))!;
        var b = (await stack.InstanceOf(bob))!;
        Assert.Equal((alice.Uid, bob.Uid), (a.Uid, b.Uid));
        Assert.Equal(bob.Uid, Flows.InstanceLifecycleTests.OwnerOf(Flows.InstanceLifecycleTests.ChildOf(b.SudoPid)));
    }

    [Fact]
    public async Task Server_endpoints_are_routed_by_path_even_with_a_user_header()
    {
        var user = await stack.CreateUserAsync();
        using var key = CoreKey();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ucloud/{Stack.ProviderId}/integration/retrieveManifest");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Token(key));
        request.Headers.TryAddWithoutValidation("UCloud-Username", Convert.ToBase64String(Encoding.UTF8.GetBytes(user.UcloudName)));
        var response = await stack.Gateway.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["enabled"]!.GetValue<bool>());
        Assert.Null(await stack.InstanceOf(user));
    }
}
