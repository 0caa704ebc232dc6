namespace UcloudIm.Contracts;

/// <summary>ssh/keyUploaded, which Core sends with all of a user's SSH keys whenever one is added or removed.</summary>
public static class SshKeys
{
    /// <summary>The refusal when services.ssh.installKeys is off: said by the gateway, and by an instance should a call reach one.</summary>
    public const string NotInstalled = "This provider does not install SSH keys (services.ssh.installKeys is off); ask its administrators how to log in with a key";
}
