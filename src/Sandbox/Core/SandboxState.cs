using System.Security.Cryptography;
using System.Text.Json;
using UcloudIm.Configuration;

namespace UcloudIm.Sandbox.Core;

/// <summary>A drive the sandbox's Core knows, with the local path the provider gave it.</summary>
/// <summary>A drive the sandbox's Core knows, with the local path the provider gave it. A project's drive has no owner but the project.</summary>
public sealed record SandboxDrive(string Id, string Title, string? Owner, string LocalPath, string? ProviderGeneratedId = null, string Category = "home", string? Project = null);

/// <summary>
/// What the sandbox keeps on disk: Core's private key for this provider, the provider's refresh token, and
/// the drives. The directory is 0700: it holds what Core would guard.
/// </summary>
public sealed class SandboxState
{
    public string Directory { get; }
    public string ProviderId { get; }
    public RSA Key { get; }
    public string RefreshToken { get; }

    /// <summary>What the provider's gateway presents to the relay in proxy mode (null for a state made before it).</summary>
    public string? RelayToken => File.Exists(Path.Combine(Directory, "relay-token")) ? File.ReadAllText(Path.Combine(Directory, "relay-token")).Trim() : null;

    private SandboxState(string directory, string providerId, RSA key, string refreshToken)
    {
        Directory = directory;
        ProviderId = providerId;
        Key = key;
        RefreshToken = refreshToken;
    }

    private string KeyPath => Path.Combine(Directory, "core_key.pem");
    private string TokenPath => Path.Combine(Directory, "refresh-token");
    private string ProviderPath => Path.Combine(Directory, "provider-id");
    private string DrivesPath => Path.Combine(Directory, "drives.json");

    /// <summary>
    /// Makes the key pair and refresh token (kept if they exist: re-running init must not break a running
    /// provider) and writes the public key where the IM reads it.
    /// </summary>
    public static SandboxState Init(string directory, string providerId, string imConfigDirectory)
    {
        System.IO.Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var keyPath = Path.Combine(directory, "core_key.pem");
        if (!File.Exists(keyPath))
        {
            using var rsa = RSA.Create(2048);
            WritePrivate(keyPath, rsa.ExportPkcs8PrivateKeyPem());
            WritePrivate(Path.Combine(directory, "refresh-token"), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        }
        // The relay's credential for the provider's gateway: made for states from before the relay as well.
        if (!File.Exists(Path.Combine(directory, "relay-token")))
            WritePrivate(Path.Combine(directory, "relay-token"), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        File.WriteAllText(Path.Combine(directory, "provider-id"), providerId);
        var state = Load(directory);
        System.IO.Directory.CreateDirectory(imConfigDirectory);
        var pub = Path.Combine(imConfigDirectory, "ucloud_key.pub");
        File.WriteAllText(pub, CoreKey.Export(state.Key) + "\n");
        File.SetUnixFileMode(pub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return state;
    }

    public static SandboxState Load(string directory)
    {
        var keyPath = Path.Combine(directory, "core_key.pem");
        if (!File.Exists(keyPath)) throw new InvalidOperationException($"{directory} holds no sandbox; run `ucloud-sandbox init` first");
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(keyPath));
        return new SandboxState(directory, File.ReadAllText(Path.Combine(directory, "provider-id")).Trim(), rsa,
            File.ReadAllText(Path.Combine(directory, "refresh-token")).Trim());
    }

    public IReadOnlyList<SandboxDrive> Drives() =>
        File.Exists(DrivesPath) ? JsonSerializer.Deserialize<List<SandboxDrive>>(File.ReadAllText(DrivesPath)) ?? [] : [];

    private readonly Lock _drivesLock = new();

    public void AddDrive(SandboxDrive drive)
    {
        lock (_drivesLock)
        {
            var drives = Drives().Where(d => d.Id != drive.Id).Append(drive).ToList();
            File.WriteAllText(DrivesPath, JsonSerializer.Serialize(drives));
        }
    }

    /// <summary>
    /// Core's drive registration: a new drive gets the next numeric id; one already registered (same
    /// providerGeneratedId) keeps its id and is reported as a conflict, as Core does.
    /// </summary>
    public (string Id, bool Existed) Register(string providerGeneratedId, string title, string? owner, string category, string? project = null)
    {
        lock (_drivesLock)
        {
            var drives = Drives().ToList();
            if (drives.FirstOrDefault(d => d.ProviderGeneratedId == providerGeneratedId) is { } known) return (known.Id, true);
            var id = (drives.Select(d => long.TryParse(d.Id, out var n) ? n : 0).DefaultIfEmpty(0).Max() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var nl = providerGeneratedId.IndexOf('\n');
            drives.Add(new SandboxDrive(id, title, owner, nl >= 0 ? providerGeneratedId[(nl + 1)..] : "", providerGeneratedId, category, project));
            File.WriteAllText(DrivesPath, JsonSerializer.Serialize(drives));
            return (id, false);
        }
    }

    private static void WritePrivate(string path, string text)
    {
        using var f = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var w = new StreamWriter(f);
        w.Write(text);
    }
}
