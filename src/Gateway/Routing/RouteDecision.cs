namespace UcloudIm.Gateway.Routing;

public enum RouteKind { Server, User, NotFound, BadRequest }

/// <summary>
/// Where a request goes. <see cref="Username"/> is set for User; <see cref="Problem"/> for BadRequest.
/// <see cref="Browser"/>: a browser's request that carries its own signed link instead of Core's token.
/// <see cref="Download"/>: a browser's download, which the gateway serves from the file the instance opened.
/// </summary>
public sealed record RouteDecision(RouteKind Kind, string? Username = null, string? Problem = null, bool Browser = false, bool Download = false)
{
    public static readonly RouteDecision Server = new(RouteKind.Server);
    public static readonly RouteDecision NotFound = new(RouteKind.NotFound);

    public static RouteDecision User(string username, bool browser = false, bool download = false) =>
        new(RouteKind.User, username, Browser: browser || download, Download: download);

    public static RouteDecision Bad(string problem) => new(RouteKind.BadRequest, Problem: problem);
}
