using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;
using UcloudIm.UserInstance.Security;

namespace UcloudIm.Tests.Unit.UserInstance;

public sealed class GatewayGuardTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes(new string('s', 64));
    private static readonly string ServicePayload = Base64UrlEncoder.Encode("{\"sub\":\"_UCloud\",\"role\":\"SERVICE\"}");

    private static HeaderDictionary Headers(string? secret = null, string? user = "alice", string? payload = null)
    {
        var h = new HeaderDictionary();
        if (secret is not null) h["ucloud-secret"] = secret;
        if (user is not null) h["ucloud-username"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(user));
        if (payload is not null) h["x-jwt-payload"] = payload;
        return h;
    }

    [Fact]
    public void The_gateways_request_for_this_user_passes() =>
        Assert.Null(GatewayGuard.Check(Headers(new string('s', 64), "alice", ServicePayload), "alice", Secret));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong")]
    public void A_missing_or_wrong_secret_is_refused(string? secret) =>
        Assert.NotNull(GatewayGuard.Check(Headers(secret, "alice", ServicePayload), "alice", Secret));

    [Fact]
    public void A_request_for_another_user_is_refused_even_with_the_secret() =>
        Assert.Equal("request is for another user", GatewayGuard.Check(Headers(new string('s', 64), "bob", ServicePayload), "alice", Secret));

    [Theory]
    [InlineData(null)]
    [InlineData("eyJzdWIiOiJhbGljZSIsInJvbGUiOiJVU0VSIn0")] // {"sub":"alice","role":"USER"}
    [InlineData("not base64 !")]
    public void A_payload_that_is_not_cores_service_token_is_refused(string? payload) =>
        Assert.NotNull(GatewayGuard.Check(Headers(new string('s', 64), "alice", payload), "alice", Secret));

    [Fact]
    public void Two_secrets_in_one_request_are_refused()
    {
        var h = Headers(null, "alice", ServicePayload);
        h["ucloud-secret"] = new Microsoft.Extensions.Primitives.StringValues([new string('s', 64), "x"]);
        Assert.NotNull(GatewayGuard.Check(h, "alice", Secret));
    }
}
