using System.Runtime.Versioning;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Unix;
using UcloudIm.UserInstance.Jobs;

namespace UcloudIm.UserInstance.Ssh;

/// <summary>
/// <c>ssh/keyUploaded</c>: Core sends all of a user's SSH keys whenever one is added or removed, and the user's
/// instance, as the user, makes them the managed lines of the configured authorized_keys file
/// (<c>services.ssh</c>). The user's own lines stay as they were. Every key is checked before anything is written,
/// and the file is replaced whole (written beside it, flushed, renamed), so sshd never reads half a file.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class SshKeyEndpoints
{
    /// <summary>A larger authorized_keys file is not one we should rewrite.</summary>
    private const int MaxFileSize = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>One rewrite at a time: two calls close together must not lose each other's file.</summary>
    private static readonly SemaphoreSlim Writing = new(1, 1);

    public static void MapSshKeyEndpoints(this IEndpointRouteBuilder app, InstanceBootstrap bootstrap, UnixUser me, ILogger log)
    {
        app.MapPost($"/ucloud/{bootstrap.ProviderId}/ssh/keyUploaded", async context =>
        {
            var relative = bootstrap.AuthorizedKeysFile
                ?? throw ImException.BadRequest(SshKeys.NotInstalled);
            var body = await RequestJson.ObjectAsync(context.Request, context.RequestAborted);
            var username = RequestJson.OptionalString(body, "username");
            if (username != bootstrap.UcloudUsername)
                throw ImException.BadRequest($"The keys are for '{username}', but this is the instance of '{bootstrap.UcloudUsername}'");
            var keys = Keys(body);
            var path = Path.Combine(me.Home, relative);
            await Writing.WaitAsync(context.RequestAborted);
            try
            {
                var changed = Install(me, path, keys);
                LogInstalled(log, keys.Count, path, changed);
            }
            finally
            {
                Writing.Release();
            }
            await context.Response.WriteAsync("{}", context.RequestAborted);
        });
    }

    /// <summary>Every key, checked; the first bad one refuses the call, and nothing is written.</summary>
    internal static List<(string Key, string Title)> Keys(JsonObject body)
    {
        var all = body["allKeys"] as JsonArray ?? throw ImException.BadRequest("The request has no allKeys (a JSON array)");
        if (all.Count > AuthorizedKeys.MaxKeys) throw ImException.BadRequest($"At most {AuthorizedKeys.MaxKeys} keys are installed, not {all.Count}");
        var keys = new List<(string, string)>(all.Count);
        foreach (var node in all)
        {
            var key = RequestJson.Object(node, "A key");
            var id = key["id"]?.ToString() ?? "";
            var spec = RequestJson.OptionalObject(key, "specification") ?? throw ImException.BadRequest($"Key '{id}' has no specification");
            var title = RequestJson.OptionalString(spec, "title") ?? "";
            var text = RequestJson.OptionalString(spec, "key") ?? throw ImException.BadRequest($"Key '{id}' ({title}) has no key text");
            var normalized = AuthorizedKeys.Normalize(text, out var problem) ?? throw ImException.BadRequest($"Key '{id}' ({title}) {problem}");
            keys.Add((normalized, title));
        }
        return keys;
    }

    /// <summary>Writes the merged file if it changes; false when it already said this.</summary>
    private static bool Install(UnixUser me, string path, List<(string Key, string Title)> keys)
    {
        if (!Directory.Exists(me.Home)) throw new ImException(409, $"Your home folder {me.Home} does not exist, so no key can be installed in it", "CONFLICT");
        try
        {
            // sshd reads what a symbolic link points to: the file there is the one to change, and the link stays.
            var target = FileStat.Of(path) is { Kind: FileKind.SymbolicLink } ? File.ResolveLinkTarget(path, returnFinalTarget: true)!.FullName : path;
            if (Directory.Exists(target)) throw new ImException(409, $"{path} is a folder, not a file of keys", "CONFLICT");
            var folder = Path.GetDirectoryName(target)!;
            // Missing folders (~/.ssh) are made as sshd wants them: the user's alone.
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var existing = "";
            var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            byte[]? bytes = null;
            try
            {
                bytes = FileSystemCalls.ReadSmallRegularFile(target, MaxFileSize);
            }
            catch (FileNotFoundException) { }
            catch (UnixIOException e) when (e.Errno == FileSystemCalls.EFBIG) { throw new ImException(409, $"{path} is larger than {MaxFileSize / 1024} KiB; it was left as it is", "CONFLICT"); }
            catch (UnixIOException e) when (e.Errno == FileSystemCalls.ENXIO) { throw new ImException(409, $"{path} is not a regular file; it was left as it is", "CONFLICT"); }
            if (bytes is not null)
            {
                // Strictly: a byte that is not UTF-8 would come back as U+FFFD, and the user's lines must come back as they were.
                try
                {
                    existing = StrictUtf8.GetString(bytes);
                }
                catch (DecoderFallbackException)
                {
                    throw new ImException(409, $"{path} is not UTF-8 text; it was left as it is", "CONFLICT");
                }
                // Kept, less what sshd's StrictModes refuses (group or others writing).
                mode = File.GetUnixFileMode(target) & ~(UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
            var merged = AuthorizedKeys.Merge(existing, keys);
            if (merged == existing) return false;
            var temporary = Path.Combine(folder, $".{Path.GetFileName(target)}.ucloud-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}");
            try
            {
                // CreateNew: never through a link or over a file someone placed there.
                using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
                {
                    // The instance's umask (0007) would take others' read from a file that had it.
                    File.SetUnixFileMode(stream.SafeFileHandle, mode);
                    stream.Write(Encoding.UTF8.GetBytes(merged));
                    stream.Flush(flushToDisk: true);
                }
                File.Move(temporary, target, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            throw ImException.Forbidden($"You may not change {path} on this cluster (permission denied); ask its administrators");
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new ImException(409, $"{path} could not be written: {e.Message}", "CONFLICT");
        }
    }

    [LoggerMessage(1, LogLevel.Information, "SSH keys: {Count} installed in {Path} (file changed: {Changed})")]
    private static partial void LogInstalled(ILogger logger, int count, string path, bool changed);
}
