using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace UcloudIm.Gateway.Auth;

/// <summary>A verified Core service token: its payload (base64url, forwarded as x-jwt-payload) and expiry.</summary>
public sealed record VerifiedToken(string EncodedPayload, DateTimeOffset Expires);

/// <summary>
/// Verifies the bearer tokens Core signs with this provider's key: RS256 only (alg none and HMAC tricks are
/// refused), the configured issuer, an expiry, and sub "_UCloud" with role "SERVICE". A token seen before is
/// answered from a small cache until it expires, since Core reuses a token for minutes.
/// </summary>
public sealed class CoreTokenValidator
{
    private const int CacheLimit = 4096;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, VerifiedToken> _cache = new(StringComparer.Ordinal);

    public CoreTokenValidator(RSA publicKey, string issuer, TimeSpan clockSkew, TimeProvider time)
    {
        _time = time;
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKey = new RsaSecurityKey(publicKey),
            ValidIssuer = issuer,
            ValidateIssuer = true,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ClockSkew = clockSkew,
            LifetimeValidator = (notBefore, expires, _, p) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } e && e + p.ClockSkew >= now && (notBefore is not { } nb || nb - p.ClockSkew <= now);
            },
        };
    }

    /// <summary>The verified token, or null with the reason in <paramref name="problem"/>.</summary>
    public async Task<(VerifiedToken? Token, string? Problem)> ValidateAsync(string? authorization)
    {
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return (null, "missing bearer token");
        var token = authorization["Bearer ".Length..].Trim();
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(token, out var cached))
        {
            if (cached.Expires + _parameters.ClockSkew >= now) return (cached, null);
            _cache.TryRemove(token, out _);
        }
        var result = await _handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid) return (null, result.Exception?.GetType().Name ?? "invalid token");
        var jwt = (JsonWebToken)result.SecurityToken;
        if (!jwt.TryGetPayloadValue<string>("sub", out var sub) || sub != "_UCloud")
            return (null, "token subject is not _UCloud");
        if (!jwt.TryGetPayloadValue<string>("role", out var role) || role != "SERVICE")
            return (null, "token role is not SERVICE");
        var verified = new VerifiedToken(jwt.EncodedPayload, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
        if (_cache.Count >= CacheLimit) _cache.Clear();
        _cache[token] = verified;
        return (verified, null);
    }
}
