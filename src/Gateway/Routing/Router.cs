namespace UcloudIm.Gateway.Routing;

/// <summary>
/// Decides where a request goes, from its path first: server endpoints go to the server whatever headers
/// they carry (Core sends integration/init with the user's header; the reference routed it to 449). Every
/// other provider endpoint acts for a user and goes to that user's instance. Pure, so it is unit tested.
/// With <paramref name="installsSshKeys"/> off, ssh/keyUploaded is refused here: Core sends it for every user
/// whenever they change a key, and each would otherwise start that user's instance (a sudo) only to refuse.
/// </summary>
public sealed class Router(string providerId, bool installsSshKeys = true)
{
    private readonly string _prefix = $"/ucloud/{providerId}/";
    private readonly string _jobsWebsocketPrefix = $"/ucloud/jobs.provider.{providerId}/";

    private static readonly string[] ServerPrefixes = ["integration/", "authorize-app", "provider/branding/"];

    /// <summary>Opened by browsers, with a signed link or one-time session (a terminal's) the instance checks: no Core token, user from usernameHint.</summary>
    private static readonly string[] BrowserPaths = ["download", "upload", "websocket"];

    public RouteDecision Decide(string path, string? usernameHeader, string? usernameHint, string method = "POST")
    {
        string rest;
        if (path.StartsWith(_prefix, StringComparison.Ordinal)) rest = path[_prefix.Length..];
        else if (path.StartsWith(_jobsWebsocketPrefix, StringComparison.Ordinal)) rest = "jobs.provider/" + path[_jobsWebsocketPrefix.Length..];
        else return RouteDecision.NotFound;

        if (rest.StartsWith('/') || rest.Contains("..", StringComparison.Ordinal) || rest.Contains("//", StringComparison.Ordinal)) return RouteDecision.Bad("Malformed path");
        if (IsServerPath(rest)) return RouteDecision.Server;
        if (!installsSshKeys && rest == "ssh/keyUploaded") return RouteDecision.Bad(Contracts.SshKeys.NotInstalled);

        var fromHeader = usernameHeader is null ? null : UsernameCodec.Decode(usernameHeader);
        if (usernameHeader is not null && fromHeader is null) return RouteDecision.Bad("The UCloud-Username header is not a base64-encoded username");
        var fromHint = usernameHint is null ? null : UsernameCodec.Decode(usernameHint);
        if (usernameHint is not null && fromHint is null) return RouteDecision.Bad("usernameHint is not a base64-encoded username");
        if (fromHeader is not null && fromHint is not null && fromHeader != fromHint)
            return RouteDecision.Bad("UCloud-Username and usernameHint name different users");
        var user = fromHeader ?? fromHint;
        if (user is null) return RouteDecision.Bad("This endpoint acts for a user, but the request names none (UCloud-Username header or usernameHint)");
        // A WebSocket over HTTP/2 (the proxy-mode tunnel, or a browser speaking h2) arrives as CONNECT.
        return RouteDecision.User(user, browser: method is "GET" or "CONNECT" && BrowserPaths.Contains(rest),
            download: method is "GET" or "HEAD" && rest == "download");
    }

    public static bool IsServerPath(string rest)
    {
        foreach (var p in ServerPrefixes)
        {
            if (rest.StartsWith(p, StringComparison.Ordinal)) return true;
        }
        return rest == "retrieveProducts" || rest.EndsWith("/retrieveProducts", StringComparison.Ordinal);
    }
}
