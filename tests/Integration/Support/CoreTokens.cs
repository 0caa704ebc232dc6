using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace UcloudIm.Tests.Integration.Support;

/// <summary>Tokens as Core signs them (or as an attacker would try to), for calling the gateway directly.</summary>
public static class CoreTokens
{
    public static RSA LoadKey(string pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return rsa;
    }

    public static string Sign(RSA key, string issuer = "cloud.sdu.dk", DateTimeOffset? expires = null, string role = "SERVICE")
    {
        var now = DateTimeOffset.UtcNow;
        var exp = expires ?? now.AddMinutes(10);
        var issued = exp < now ? exp.AddMinutes(-10) : now;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Claims = new Dictionary<string, object> { ["sub"] = "_UCloud", ["role"] = role },
            IssuedAt = issued.UtcDateTime,
            NotBefore = issued.UtcDateTime,
            Expires = exp.UtcDateTime,
            // No provider cache: it would keep a disposed key's signer for the next key with the same modulus.
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key), SecurityAlgorithms.RsaSha256)
            {
                CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
            },
        });
    }

    /// <summary>A valid service token from the stack's sandbox Core.</summary>
    public static string Service(Stack stack)
    {
        using var key = LoadKey(stack.CoreKeyPem);
        return Sign(key);
    }
}
