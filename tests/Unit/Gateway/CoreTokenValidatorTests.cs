using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using UcloudIm.Gateway.Auth;

namespace UcloudIm.Tests.Unit.Gateway;

public sealed class CoreTokenValidatorTests : IDisposable
{
    private const string Issuer = "cloud.sdu.dk";
    private readonly RSA _core = RSA.Create(2048);
    private readonly RSA _attacker = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private CoreTokenValidator Validator() => new(_core, Issuer, TimeSpan.FromSeconds(30), _time);

    private string Token(RSA key, string issuer = Issuer, string sub = "_UCloud", string role = "SERVICE", TimeSpan? lifetime = null, DateTimeOffset? issuedAt = null)
    {
        var now = issuedAt ?? _time.GetUtcNow();
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Claims = new Dictionary<string, object> { ["sub"] = sub, ["role"] = role },
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + (lifetime ?? TimeSpan.FromMinutes(10))).UtcDateTime,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key), SecurityAlgorithms.RsaSha256),
        });
    }

    [Fact]
    public async Task A_service_token_signed_by_core_is_accepted_and_its_payload_kept()
    {
        var token = Token(_core);
        var (verified, problem) = await Validator().ValidateAsync("Bearer " + token);
        Assert.Null(problem);
        Assert.Equal(token.Split('.')[1], verified!.EncodedPayload);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        var (verified, _) = await Validator().ValidateAsync("Bearer " + Token(_attacker));
        Assert.Null(verified);
    }

    [Fact]
    public async Task An_expired_token_is_refused_beyond_the_clock_skew()
    {
        var token = Token(_core, lifetime: TimeSpan.FromMinutes(10));
        _time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(31));
        var (verified, _) = await Validator().ValidateAsync("Bearer " + token);
        Assert.Null(verified);
    }

    [Fact]
    public async Task A_cached_token_is_refused_once_it_expires()
    {
        var validator = Validator();
        var token = Token(_core, lifetime: TimeSpan.FromMinutes(1));
        Assert.NotNull((await validator.ValidateAsync("Bearer " + token)).Token);
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null((await validator.ValidateAsync("Bearer " + token)).Token);
    }

    [Fact]
    public async Task An_unsigned_alg_none_token_is_refused()
    {
        static string B64(string s) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(s));
        var exp = _time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds();
        var token = $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64($"{{\"iss\":\"{Issuer}\",\"sub\":\"_UCloud\",\"role\":\"SERVICE\",\"exp\":{exp}}}")}.";
        var (verified, _) = await Validator().ValidateAsync("Bearer " + token);
        Assert.Null(verified);
    }

    [Fact]
    public async Task An_hmac_token_keyed_with_the_public_key_is_refused()
    {
        var secret = new SymmetricSecurityKey(_core.ExportSubjectPublicKeyInfo());
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Claims = new Dictionary<string, object> { ["sub"] = "_UCloud", ["role"] = "SERVICE" },
            Expires = _time.GetUtcNow().AddMinutes(5).UtcDateTime,
            SigningCredentials = new SigningCredentials(secret, SecurityAlgorithms.HmacSha256),
        });
        var (verified, _) = await Validator().ValidateAsync("Bearer " + token);
        Assert.Null(verified);
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_refused()
    {
        var (verified, _) = await Validator().ValidateAsync("Bearer " + Token(_core, issuer: "evil.example.com"));
        Assert.Null(verified);
    }

    [Theory]
    [InlineData("#P_dev", "PROVIDER")]
    [InlineData("alice", "SERVICE")]
    [InlineData("_UCloud", "USER")]
    public async Task Only_the_core_service_principal_is_accepted(string sub, string role)
    {
        var (verified, problem) = await Validator().ValidateAsync("Bearer " + Token(_core, sub: sub, role: role));
        Assert.Null(verified);
        Assert.NotNull(problem);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer not.a.token")]
    public async Task Missing_or_malformed_authorization_is_refused(string? header)
    {
        var (verified, _) = await Validator().ValidateAsync(header);
        Assert.Null(verified);
    }

    public void Dispose()
    {
        _core.Dispose();
        _attacker.Dispose();
    }
}
