using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Unix;
using UcloudIm.UserInstance.Files;
using UcloudIm.UserInstance.Security;

namespace UcloudIm.UserInstance;

/// <summary>
/// The per-user process. Protocol with the server: one JSON line (<see cref="InstanceBootstrap"/>) on stdin,
/// then "READY &lt;socket&gt;" on stdout once the socket accepts connections; EOF on stdin means "stop".
/// </summary>
[SupportedOSPlatform("linux")]
public static class InstanceHost
{
    public const string ReadyPrefix = "READY ";

    public static async Task<int> RunAsync(TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        InstanceBootstrap bootstrap;
        UnixUser me;
        try
        {
            // Root is refused before any input is read, whatever that input says.
            if (ProcessIdentity.EffectiveUid == 0) throw new StartupRefusedException("this program never runs as root");
            bootstrap = ReadBootstrap(stdin.ReadLine());
            me = CheckIdentity(bootstrap);
        }
        catch (StartupRefusedException e)
        {
            await stderr.WriteLineAsync($"ucloud-im-user: refusing to start: {e.Message}");
            return 2;
        }
        foreach (var v in new[] { "SUDO_COMMAND", "SUDO_USER", "SUDO_UID", "SUDO_GID" }) Environment.SetEnvironmentVariable(v, null);
        // Files made here are shared with the user's groups (project folders) and never with everyone.
        ProcessIdentity.SetUmask(0b000_000_111);

        var socketPath = Path.Combine(bootstrap.SocketDirectory, $"{me.Uid}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.sock");
        var app = Build(bootstrap, me, socketPath);
        try
        {
            await app.StartAsync();
            // The socket is made with our umask; connections are guarded by SO_PEERCRED and the secret, not the mode.
            File.SetUnixFileMode(socketPath, (UnixFileMode)0b110_110_110);
            await stdout.WriteLineAsync(ReadyPrefix + socketPath);
            await stdout.FlushAsync();
            // The server holds our stdin: when it closes it (or dies), we stop.
            _ = Task.Run(async () =>
            {
                try { while (await stdin.ReadLineAsync() is not null) { } } catch (IOException) { }
                await app.StopAsync();
            });
            await app.WaitForShutdownAsync();
            return 0;
        }
        finally
        {
            await app.DisposeAsync();
            try { File.Delete(socketPath); } catch (IOException) { }
            try { File.Delete(InstanceRoute.OpenFileSocketOf(socketPath)); } catch (IOException) { }
        }
    }

    internal static InstanceBootstrap ReadBootstrap(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) throw new StartupRefusedException("no bootstrap message on standard input");
        try
        {
            var b = JsonSerializer.Deserialize(line, WireJson.Default.InstanceBootstrap)
                ?? throw new StartupRefusedException("empty bootstrap message");
            if (string.IsNullOrEmpty(b.Secret) || b.Secret.Length < 32) throw new StartupRefusedException("bootstrap secret missing or too short");
            if (string.IsNullOrEmpty(b.UcloudUsername)) throw new StartupRefusedException("bootstrap has no UCloud username");
            if (!Path.IsPathFullyQualified(b.SocketDirectory)) throw new StartupRefusedException("socket directory must be absolute");
            if (!Uri.TryCreate(b.PublicUrl, UriKind.Absolute, out _)) throw new StartupRefusedException("the public URL is not an absolute URL");
            Span<byte> key = stackalloc byte[64];
            if (!Convert.TryFromBase64String(b.LinkKey, key, out var n) || n < 32) throw new StartupRefusedException("the link key is missing or too short");
            return b;
        }
        catch (JsonException e)
        {
            throw new StartupRefusedException($"bootstrap message is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Never run as root or a system account, whatever sudo or the server were told.</summary>
    internal static UnixUser CheckIdentity(InstanceBootstrap b)
    {
        var uid = ProcessIdentity.EffectiveUid;
        if (uid == 0) throw new StartupRefusedException("this program never runs as root");
        if (uid < Math.Max(1, b.MinimumUid)) throw new StartupRefusedException($"uid {uid} is below the minimum uid {b.MinimumUid} (system account)");
        if (uid == b.GatewayUid) throw new StartupRefusedException("the gateway's account cannot have a user instance");
        return UserDatabase.FindByUid(uid) ?? throw new StartupRefusedException($"uid {uid} has no passwd entry");
    }

    private static WebApplication Build(InstanceBootstrap bootstrap, UnixUser me, string socketPath)
    {
        var builder = WebApplication.CreateSlimBuilder(ImHostDefaults.Options());
        builder.Logging.ClearProviders();
        // stdout carries the READY line; logs go to stderr, which the server collects.
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff "; });
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.QuietFrameworkLogs();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(bootstrap);
        LargeBlockMemoryPool.UseForKestrel(builder.Services);
        builder.Services.AddSingleton(me);
        builder.Services.AddSingleton(_ => Tasks.ServerChannel.From(bootstrap)!);
        builder.Services.AddSingleton<Tasks.TaskRunner>();
        builder.Services.AddSingleton(new Terminals.TerminalSessions(TimeProvider.System));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Tasks.TaskRunner>());
        builder.Services.AddHostedService(sp => new OpenFileListener(bootstrap, me, InstanceRoute.OpenFileSocketOf(socketPath),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("UserInstance")));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            k.Limits.MaxRequestHeadersTotalSize = 1 << 20;
            k.ListenUnixSocket(socketPath, lo => lo.UsePeerCredentials(p => p.Uid == bootstrap.GatewayUid));
        });
        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("UserInstance");
        app.UseWireErrors((ctx, e) => Log.Unexpected(log, ctx.Request.Path, e));
        app.UseMiddleware<GatewayGuard>();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.MapFileEndpoints(bootstrap.ProviderId);
        app.MapDownloadEndpoints(bootstrap, me);
        app.MapUploadEndpoints(bootstrap, me, log);
        app.MapTaskEndpoints(bootstrap.ProviderId);
        app.MapSearchEndpoints(bootstrap.ProviderId);
        Jobs.JobEndpoints.MapJobEndpoints(app, bootstrap, me);
        Jobs.JobEndpoints.MapJobExtension(app, bootstrap);
        Jobs.JobEndpoints.MapInteractiveSessions(app, bootstrap, me);
        Jobs.FollowEndpoint.MapFollowEndpoint(app, bootstrap, me);
        Terminals.TerminalEndpoints.MapTerminalEndpoints(app, bootstrap, me, log);
        Ssh.SshKeyEndpoints.MapSshKeyEndpoints(app, bootstrap, me, log);
        Log.Started(log, me.Name, me.Uid, bootstrap.UcloudUsername);
        return app;
    }
}

internal sealed class StartupRefusedException(string message) : Exception(message);

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "user instance for {LocalUser} (uid {Uid}, UCloud user {UcloudUser}) starting")]
    public static partial void Started(ILogger logger, string localUser, uint uid, string ucloudUser);

    [LoggerMessage(2, LogLevel.Error, "unexpected error serving {Path}")]
    public static partial void Unexpected(ILogger logger, PathString path, Exception e);

    [LoggerMessage(3, LogLevel.Warning, "refused a request: {Reason}")]
    public static partial void Refused(ILogger logger, string reason);

    [LoggerMessage(4, LogLevel.Error, "unexpected error on the open-file socket")]
    public static partial void OpenFileFailed(ILogger logger, Exception e);

    [LoggerMessage(5, LogLevel.Information, "folder {Folder} downloaded as an archive")]
    public static partial void FolderArchived(ILogger logger, string folder);

    [LoggerMessage(6, LogLevel.Information, "archive download of {Folder} ended early: {Reason}")]
    public static partial void FolderArchiveStopped(ILogger logger, string folder, string reason);
}
