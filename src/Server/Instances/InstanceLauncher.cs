using System.Diagnostics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.Server.Instances;

/// <summary>Starts one user instance through sudo and waits for its READY line.</summary>
[SupportedOSPlatform("linux")]
internal sealed partial class InstanceLauncher(ImConfig config, ServiceAccounts accounts, LinkKeys linkKeys, JobSettings jobs, TimeProvider time, ILogger<InstanceLauncher> log)
{
    private const string ReadyPrefix = "READY ";

    public async Task<RunningInstance> StartAsync(string ucloudUsername, UnixUser user, uint[] groups, int restarts, CancellationToken ct)
    {
        var options = config.Instances;
        var (file, args) = SudoCommand.Build(options, user.Uid);
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var bootstrap = new InstanceBootstrap(ucloudUsername, config.Provider.Id, accounts.GatewayUid, options.MinimumUid,
            config.Provider.InstanceSocketDirectory, secret, config.Provider.SelfPublic.ToUri().ToString().TrimEnd('/'),
            Convert.ToBase64String(linkKeys.For(user.Uid)), (long)options.DownloadLinkLifetime.TotalSeconds,
            (long)options.UploadLinkLifetime.TotalSeconds, config.Provider.ServerSocket, ProcessIdentity.EffectiveUid, jobs, options.Terminals,
            config.Ssh.InstallKeys ? config.Ssh.AuthorizedKeysFile : null);

        // Not CommandRunner.RunAsync: this process outlives the call, and we keep its stdin open.
        var process = new Process { StartInfo = CommandRunner.StartInfo(file, args), EnableRaisingEvents = true };
        var watch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            process.Dispose();
            throw new InstanceStartException($"could not run {file}: {e.Message}");
        }
        LogSpawned(log, ucloudUsername, user.Name, user.Uid, process.Id);

        var stderrTail = new StderrTail(Path.Combine(config.Provider.LogDirectory, "instances", $"{user.Name}.log"));
        var stderrPump = stderrTail.PumpAsync(process.StandardError);
        var exited = process.WaitForExitAsync(CancellationToken.None);

        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(bootstrap, WireJson.Default.InstanceBootstrap));
        await process.StandardInput.FlushAsync(ct);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ReadyTimeout);
        string? socketPath = null;
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal)) { socketPath = line[ReadyPrefix.Length..]; break; }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Fall through: not ready in time.
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw;
        }

        if (socketPath is null || !IsInside(socketPath, config.Provider.InstanceSocketDirectory))
        {
            Kill(process);
            await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
            await Task.WhenAny(stderrPump, Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None));
            var why = socketPath is not null ? $"reported a socket outside {config.Provider.InstanceSocketDirectory}"
                : process.HasExited ? $"exited with code {process.ExitCode}: {Explain(stderrTail.LastLine)}"
                : $"was not ready within {options.ReadyTimeout.TotalSeconds:0.#} s";
            process.Dispose();
            LogStartFailed(log, ucloudUsername, user.Name, why);
            throw new InstanceStartException(why);
        }

        // Keep draining stdout so the instance can never block on a full pipe.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        LogReady(log, ucloudUsername, user.Name, (long)watch.Elapsed.TotalMilliseconds, socketPath);
        return new RunningInstance(process, new InstanceRoute(ucloudUsername, user.Uid, socketPath, secret), user, groups, time.GetUtcNow(), restarts)
        {
            Exited = exited.ContinueWith(async _ => await stderrPump, TaskScheduler.Default).Unwrap(),
        };
    }

    private static bool IsInside(string path, string directory) =>
        Path.GetDirectoryName(path) == directory.TrimEnd('/') && Path.GetFileName(path).EndsWith(".sock", StringComparison.Ordinal);

    /// <summary>sudo's refusals are terse; say what the admin should do about them.</summary>
    internal static string Explain(string? stderrLine) => stderrLine switch
    {
        null or "" => "no error output",
        var s when s.Contains("a password is required", StringComparison.Ordinal) =>
            $"sudo refused ({s}): check /etc/sudoers.d/ucloud-im and that the user is in the allowed group",
        var s when s.Contains("is not allowed to execute", StringComparison.Ordinal) || s.Contains("unknown user", StringComparison.Ordinal) =>
            $"sudo refused ({s})",
        var s => s,
    };

    private static void Kill(Process p)
    {
        try { if (!p.HasExited) ProcessIdentity.Signal(p.Id, ProcessIdentity.SIGTERM); } catch (InvalidOperationException) { }
    }

    [LoggerMessage(10, LogLevel.Information, "spawning user instance for {UcloudUser} as {LocalUser} (uid {Uid}), sudo pid {Pid}")]
    private static partial void LogSpawned(ILogger logger, string ucloudUser, string localUser, uint uid, int pid);

    [LoggerMessage(11, LogLevel.Information, "user instance for {UcloudUser} ({LocalUser}) ready after {Ms} ms on {Socket}")]
    private static partial void LogReady(ILogger logger, string ucloudUser, string localUser, long ms, string socket);

    [LoggerMessage(12, LogLevel.Error, "user instance for {UcloudUser} ({LocalUser}) failed to start: {Why}")]
    private static partial void LogStartFailed(ILogger logger, string ucloudUser, string localUser, string why);
}

/// <summary>Starting an instance failed for a reason the admin must see (and the user gets a short version of).</summary>
internal sealed class InstanceStartException(string message) : Exception(message);

/// <summary>
/// Copies an instance's stderr to its log file and remembers the last line for error messages. The
/// instance runs as the user, who controls what it writes: the file is rotated once at
/// <see cref="MaxLogBytes"/>, so a user cannot fill the service's disk.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class StderrTail(string logPath)
{
    public const long MaxLogBytes = 16 << 20;

    public string? LastLine { get; private set; }

    public async Task PumpAsync(StreamReader stderr)
    {
        FileStream? file = Open();
        try
        {
            while (await stderr.ReadLineAsync() is { } line)
            {
                if (line.Length > 0) LastLine = line.Length > 2000 ? line[..2000] : line;
                if (file is null) continue;
                var bytes = Encoding.UTF8.GetBytes(line + "\n");
                if (file.Length + bytes.Length > MaxLogBytes)
                {
                    await file.DisposeAsync();
                    File.Move(logPath, logPath + ".1", overwrite: true);
                    file = Open();
                    if (file is null) continue;
                }
                await file.WriteAsync(bytes);
                await file.FlushAsync();
            }
        }
        catch (IOException) { }
        finally
        {
            if (file is not null) await file.DisposeAsync();
        }
    }

    private FileStream? Open()
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
            return new FileStream(logPath, new FileStreamOptions
            {
                Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
