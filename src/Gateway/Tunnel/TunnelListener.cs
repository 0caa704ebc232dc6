using System.Net;
using System.Net.WebSockets;
using System.Runtime.Versioning;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;

namespace UcloudIm.Gateway.Tunnel;

/// <summary>
/// Proxy mode's listener. Instead of accepting sockets it dials the relay (a WebSocket, with the provider's
/// relay token) and hands the connection to Kestrel; while that tunnel lives it waits, and when it ends it
/// dials again, backing off from 100 ms to <see cref="ProxyOptions.MaxBackoff"/> while the relay is away.
/// One tunnel at a time: HTTP/2 multiplexes every request and WebSocket over it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class TunnelListenerFactory(ProxyOptions options, ILogger<TunnelListenerFactory> log) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>Dials the relay (its TLS trusting gateway.proxy.ca when set); lives as long as the gateway, as do the tunnels it opens.</summary>
    private readonly HttpMessageInvoker _dialer = new(new SocketsHttpHandler { SslOptions = UcloudIm.Hosting.PrivateCa.ClientOptions(options.CaFile), UseProxy = false });

    public bool CanBind(EndPoint endpoint) => endpoint is TunnelEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IConnectionListener>(new Listener(this, (TunnelEndPoint)endpoint));

    private sealed class Listener(TunnelListenerFactory factory, TunnelEndPoint endpoint) : IConnectionListener
    {
        private readonly CancellationTokenSource _stopping = new();
        private TunnelConnection? _current;

        public EndPoint EndPoint => endpoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            try
            {
                if (_current is not null)
                {
                    await _current.Closed.WaitAsync(linked.Token);
                    factory.Dropped(endpoint);
                }
                _current = await factory.DialUntilConnectedAsync(endpoint, linked.Token);
                return _current;
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                return null;
            }
        }

        public async ValueTask UnbindAsync(CancellationToken cancellationToken = default) => await _stopping.CancelAsync();

        public ValueTask DisposeAsync()
        {
            _stopping.Cancel();
            _stopping.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private void Dropped(TunnelEndPoint endpoint) => LogDropped(log, endpoint.Relay.GetLeftPart(UriPartial.Path));

    private async Task<TunnelConnection> DialUntilConnectedAsync(TunnelEndPoint endpoint, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        string? lastProblem = null;
        while (true)
        {
            var (connection, problem) = await DialAsync(endpoint, ct);
            if (connection is not null)
            {
                LogConnected(log, endpoint.Relay.GetLeftPart(UriPartial.Path));
                return connection;
            }
            // One line per kind of failure, not one per attempt: a relay down for an hour is not 1000 lines.
            if (problem != lastProblem) LogDialFailed(log, endpoint.Relay.GetLeftPart(UriPartial.Path), problem!);
            lastProblem = problem;
            await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 100)), ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxBackoff.Ticks));
        }
    }

    private async Task<(TunnelConnection?, string?)> DialAsync(TunnelEndPoint endpoint, CancellationToken ct)
    {
        var token = ReadToken(out var problem);
        if (token is null) return (null, problem);
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(10);
        socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(20);
        socket.Options.CollectHttpResponseDetails = true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await socket.ConnectAsync(endpoint.Relay, _dialer, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            return (null, status switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => $"the relay refused the provider's token ({(int)status}); check {options.TokenFile}",
                0 when TlsFailure(e) is { } tls => options.CaFile is null
                    ? $"TLS with the relay failed: {tls}; a relay with a private CA needs gateway.proxy.ca"
                    : $"TLS with the relay failed: {tls}; check that {options.CaFile} (gateway.proxy.ca) is the CA that signed the relay's certificate",
                0 => e.Message,
                _ => $"the relay answered {(int)status}: {e.Message}",
            });
        }
        return (new TunnelConnection(new UcloudIm.Hosting.WebSocketByteStream(socket), endpoint), null);
    }

    /// <summary>Why the TLS handshake failed (an untrusted or mismatched certificate), or null if the dial failed otherwise.</summary>
    private static string? TlsFailure(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException) return inner.Message;
        }
        return null;
    }

    /// <summary>Read at every dial, so a rotated token is used without a restart. Never logged.</summary>
    private string? ReadToken(out string? problem)
    {
        problem = null;
        try
        {
            var mode = File.GetUnixFileMode(options.TokenFile);
            if ((mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupWrite)) != 0)
            {
                problem = $"{options.TokenFile} holds the relay token but other users can read or write it; run: chmod 600 {options.TokenFile}";
                return null;
            }
            var token = File.ReadAllText(options.TokenFile).Trim();
            if (token.Length == 0) problem = $"{options.TokenFile} is empty";
            return token.Length == 0 ? null : token;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read the relay token: {e.Message}";
            return null;
        }
    }

    [LoggerMessage(1, LogLevel.Information, "tunnel to the relay {Relay} is up")]
    private static partial void LogConnected(ILogger logger, string relay);

    [LoggerMessage(2, LogLevel.Warning, "cannot reach the relay {Relay}, retrying with backoff: {Problem}")]
    private static partial void LogDialFailed(ILogger logger, string relay, string problem);

    [LoggerMessage(3, LogLevel.Warning, "the tunnel to {Relay} closed; dialling again")]
    private static partial void LogDropped(ILogger logger, string relay);
}
