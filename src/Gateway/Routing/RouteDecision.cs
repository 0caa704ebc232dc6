namespace UcloudIm.Gateway.Routing;

public enum RouteKind { Server, User, NotFound, BadRequest }

/// <summary>Where a request goes. <see cref="Username"/> is set for User; <see cref="Problem"/> for BadRequest.</summary>
public sealed record RouteDecision(RouteKind Kind, string? Username = null, string? Problem = null)
{
    public static readonly RouteDecision Server = new(RouteKind.Server);
    public static readonly RouteDecision NotFound = new(RouteKind.NotFound);

    public static RouteDecision User(string username) => new(RouteKind.User, username);

    public static RouteDecision Bad(string problem) => new(RouteKind.BadRequest, Problem: problem);
}
