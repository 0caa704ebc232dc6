using System.Collections.Concurrent;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Gateway.Forwarding;
using UcloudIm.Gateway.ServerLink;
using UcloudIm.Hosting;
using Yarp.ReverseProxy.Forwarder;

namespace UcloudIm.Gateway.Apps;

/// <summary>
/// Requests for <c>*.apps-domain</c>: a job's web interface. The one-time link sets the session cookie
/// (HttpOnly, Secure, SameSite=Lax, host-only, Max-Age in seconds) and redirects to <c>/</c>; afterwards
/// every request and WebSocket must carry a session the server knows for this very domain, unexpired,
/// while the job runs. The app never sees that cookie nor any identity header.
/// And WebSockets to <c>/ucloud/&lt;provider&gt;/vnc/vnc-&lt;job&gt;-&lt;rank&gt;?token=…</c>: a job's VNC server
/// (websockify's <c>/websockify</c>), on the provider's own address, with the session in the URL.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class AppProxy(AppOptions? apps, string providerId, ServerClient server, IHttpForwarder forwarder, TimeProvider time, ILogger<AppProxy> log)
{
    public const string CookieName = "ucloud-app-session";

    /// <summary>Sessions are re-checked with the server at least this often (a job's end closes its app within it).</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromMinutes(15) };

    private readonly HttpMessageInvoker _upstream = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
    }, disposeHandler: true);

    /// <summary>Checked on every request the gateway serves, so made once.</summary>
    private readonly string _vncPrefix = $"/ucloud/{providerId}/vnc/";

    private readonly ConcurrentDictionary<string, (AppTarget Target, DateTimeOffset Until)> _sessions = new(StringComparer.Ordinal);

    private readonly AppsDomain? _appsDomain = apps is null ? null : new AppsDomain(apps.Domain);

    /// <summary>The app domain a Host names (one label under the apps domain), or null.</summary>
    public string? DomainOf(HostString host) => _appsDomain?.HostOf(host.Host);

    public async Task InvokeAsync(HttpContext context, string domain)
    {
        var ct = context.RequestAborted;
        if (!context.Request.IsHttps)
        {
            await RefuseAsync(context, 403, "Applications are served over HTTPS only.");
            return;
        }
        try
        {
            if (context.Request.Path == $"/ucloud/{providerId}/authorize-app")
            {
                await AuthorizeAsync(context, domain, ct);
                return;
            }
            var session = context.Request.Cookies[CookieName];
            if (string.IsNullOrEmpty(session))
            {
                await RefuseAsync(context, 403, "This application needs a session: open it from UCloud.");
                return;
            }
            await ForwardAsync(context, domain, session, AppTransformer.Instance, "The application does not answer (it may still be starting); try again in a moment.");
        }
        catch (HttpRequestException e)
        {
            LogServerUnavailable(log, e.Message);
            if (!context.Response.HasStarted) await RefuseAsync(context, 503, "The provider is temporarily unavailable; try again shortly.");
        }
    }

    /// <summary>To the endpoint the session leads to, if the server says it does; a 403 with the reason otherwise.</summary>
    private async Task ForwardAsync(HttpContext context, string endpoint, string session, HttpTransformer transformer, string notAnswering)
    {
        var (target, refusal) = await TargetAsync(endpoint, session, context.RequestAborted);
        if (target is null)
        {
            LogRefused(log, endpoint, refusal!);
            await RefuseAsync(context, 403, refusal!);
            return;
        }
        var error = await forwarder.SendAsync(context, $"http://{target.Host}:{target.Port}", _upstream, RequestConfig, transformer);
        if (error == ForwarderError.None || context.Response.HasStarted) return;
        // Nothing listens yet (a notebook takes seconds to start) or the app went away: 503 and when to retry.
        // A person's browser gets a page that retries by itself, not an error to reload by hand.
        context.Response.Headers.RetryAfter = RetrySeconds;
        if (IsPageLoad(context.Request)) await StartingPageAsync(context);
        else await RefuseAsync(context, 503, notAnswering);
    }

    private const string RetrySeconds = "2";

    /// <summary>A browser loading a page (not a script's fetch, not a WebSocket).</summary>
    private static bool IsPageLoad(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && !request.Headers.Upgrade.Any()
        && request.Headers.Accept.Any(a => a is not null && a.Contains("text/html", StringComparison.OrdinalIgnoreCase));

    private static Task StartingPageAsync(HttpContext context)
    {
        context.Response.StatusCode = 503;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return context.Response.WriteAsync(StartingPage, context.RequestAborted);
    }

    /// <summary>Static text only: nothing from the request is echoed into it.</summary>
    private const string StartingPage = $"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{RetrySeconds}"><title>Starting the application</title></head>
        <body><p>The application does not answer yet: it may still be starting. This page tries again every {RetrySeconds} seconds.</p>
        <p>If it stays here, the job's output (<code>stdout.txt</code> and <code>stderr.txt</code> in its job folder) says why.</p></body></html>

        """;

    /// <summary>The VNC endpoint a path names (<c>vnc-</c> and one DNS-label-like word), or null.</summary>
    public string? VncKeyOf(PathString path)
    {
        var p = path.Value;
        if (p is null || !p.StartsWith(_vncPrefix, StringComparison.Ordinal)) return null;
        var key = p[_vncPrefix.Length..];
        return key.StartsWith("vnc-", StringComparison.Ordinal) && key.Length <= 64 && key.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') ? key : null;
    }

    public async Task InvokeVncAsync(HttpContext context, string key)
    {
        var upgrade = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>()?.IsUpgradableRequest == true
            && string.Equals(context.Request.Headers.Upgrade, "websocket", StringComparison.OrdinalIgnoreCase);
        var extendedConnect = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpExtendedConnectFeature>() is { IsExtendedConnect: true, Protocol: "websocket" };
        if (!upgrade && !extendedConnect)
        {
            await RefuseAsync(context, 400, "A VNC session is a WebSocket (noVNC connects to this URL).");
            return;
        }
        var token = context.Request.Query["token"].ToString();
        if (token.Length is 0 or > 256)
        {
            await RefuseAsync(context, 403, "This VNC URL has no token: open the application from UCloud.");
            return;
        }
        try
        {
            await ForwardAsync(context, key, token, VncTransformer.Instance, "The VNC server does not answer (it may still be starting); try again in a moment.");
        }
        catch (HttpRequestException e)
        {
            LogServerUnavailable(log, e.Message);
            if (!context.Response.HasStarted) await RefuseAsync(context, 503, "The provider is temporarily unavailable; try again shortly.");
        }
    }

    private async Task AuthorizeAsync(HttpContext context, string domain, CancellationToken ct)
    {
        var token = context.Request.Query["token"].ToString();
        if (token.Length is 0 or > 256)
        {
            await RefuseAsync(context, 400, "The link has no token.");
            return;
        }
        var (session, refusal) = await server.AuthorizeAppAsync(domain, token, ct);
        if (session is null)
        {
            LogRefused(log, domain, refusal!);
            await RefuseAsync(context, 403, refusal!);
            return;
        }
        context.Response.Cookies.Append(CookieName, session.Session, new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            MaxAge = TimeSpan.FromSeconds(session.MaxAgeSeconds),
            // No Domain: host-only, so no other app (and not the provider's own host) ever receives it.
        });
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        context.Response.Redirect("/");
    }

    private async Task<(AppTarget?, string?)> TargetAsync(string domain, string session, CancellationToken ct)
    {
        var key = domain + " " + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(session)));
        var now = time.GetUtcNow();
        if (_sessions.TryGetValue(key, out var known) && known.Until > now) return (known.Target, null);
        var (target, refusal) = await server.ResolveAppAsync(domain, session, ct);
        if (target is null)
        {
            _sessions.TryRemove(key, out _);
            return (null, refusal);
        }
        if (_sessions.Count > 10_000) _sessions.Clear();
        var expires = DateTimeOffset.FromUnixTimeMilliseconds(target.ExpiresAtMs);
        _sessions[key] = (target, expires < now + CacheFor ? expires : now + CacheFor);
        return (target, null);
    }

    private static Task RefuseAsync(HttpContext context, int status, string why)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(why + "\n", context.RequestAborted);
    }

    /// <summary>The request as the browser sent it, minus the gateway's session cookie and every identity header.</summary>
    private class AppTransformer : HttpTransformer
    {
        public static readonly AppTransformer Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            foreach (var h in IdentityTransformer.IdentityHeaders)
            {
                if (h != "authorization") httpContext.Request.Headers.Remove(h);
            }
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Remove("Cookie");
            var others = httpContext.Request.Headers.Cookie.SelectMany(v => (v ?? "").Split(';'))
                .Select(c => c.Trim())
                .Where(c => c.Length > 0 && !c.StartsWith(CookieName + "=", StringComparison.Ordinal))
                .ToList();
            if (others.Count > 0) proxyRequest.Headers.TryAddWithoutValidation("Cookie", string.Join("; ", others));
            proxyRequest.Headers.Host = httpContext.Request.Host.Value;
        }
    }

    /// <summary>
    /// As for web apps, but always to websockify's path, without the query (the token stays here) and without any
    /// cookie: the URL is on the provider's own address, whose cookies are none of the job's business.
    /// </summary>
    private sealed class VncTransformer : AppTransformer
    {
        public static new readonly VncTransformer Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = new Uri(destinationPrefix + "/websockify");
            proxyRequest.Headers.Host = null;
            proxyRequest.Headers.Authorization = null;
            proxyRequest.Headers.Remove("Cookie");
        }
    }

    [LoggerMessage(1, LogLevel.Information, "refused a request for {Domain}: {Why}")]
    private static partial void LogRefused(ILogger logger, string domain, string why);

    [LoggerMessage(2, LogLevel.Error, "the server cannot be reached: {Message}")]
    private static partial void LogServerUnavailable(ILogger logger, string message);
}
