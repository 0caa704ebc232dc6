namespace UcloudIm.Contracts;

/// <summary>Body of integration/connect, init and unlinked: the UCloud username.</summary>
public sealed record UsernameRequest(string Username);

public sealed record ConnectResponse(string RedirectTo);

public sealed record ManifestResponse(bool Enabled, long? ExpireAfterMs = null);

// Calls the provider makes to Core.
public sealed record RefreshTokenItem(string RefreshToken);

public sealed record AccessTokenResponse(string AccessToken, string? CsrfToken = null);
