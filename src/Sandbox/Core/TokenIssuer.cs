using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace UcloudIm.Sandbox.Core;

/// <summary>Signs tokens as Core does, with the provider's key pair: service tokens to the provider, and the provider's own access tokens.</summary>
public sealed class TokenIssuer(SandboxState state, TimeProvider time)
{
    public const string Issuer = "cloud.sdu.dk";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private readonly JsonWebTokenHandler _handler = new();
    private (string Token, DateTimeOffset Expires)? _service;

    /// <summary>The token Core sends to the provider: sub _UCloud, role SERVICE. Reused like Core does.</summary>
    public string ServiceToken()
    {
        var now = time.GetUtcNow();
        if (_service is { } s && s.Expires - now > TimeSpan.FromMinutes(5)) return s.Token;
        var token = Sign(new Dictionary<string, object>
        {
            ["sub"] = "_UCloud", ["role"] = "SERVICE", ["principalType"] = "service", ["aud"] = new[] { "all:write" },
        }, now);
        _service = (token, now + Lifetime);
        return token;
    }

    /// <summary>The provider's own access token, for its calls to Core.</summary>
    public string ProviderToken() => Sign(new Dictionary<string, object>
    {
        ["sub"] = "#P_" + state.ProviderId, ["role"] = "PROVIDER", ["principalType"] = "provider",
    }, time.GetUtcNow());

    /// <summary>True when <paramref name="token"/> is a provider token this sandbox signed and it has not expired.</summary>
    public async Task<bool> IsProviderTokenAsync(string? token)
    {
        if (string.IsNullOrEmpty(token)) return false;
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = new RsaSecurityKey(state.Key), ValidIssuer = Issuer, ValidateAudience = false,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256], RequireExpirationTime = true,
        });
        return result.IsValid && result.Claims.TryGetValue("role", out var role) && (role as string) == "PROVIDER";
    }

    public string Sign(IDictionary<string, object> claims, DateTimeOffset now, TimeSpan? lifetime = null) =>
        _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + (lifetime ?? Lifetime)).UtcDateTime,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(state.Key), SecurityAlgorithms.RsaSha256),
        });
}
