using UcloudIm.UserInstance.Ssh;

namespace UcloudIm.Tests.Unit.UserInstance;

/// <summary>The managed lines of authorized_keys: which keys are accepted, and what a rewrite keeps.</summary>
public sealed class AuthorizedKeysTests
{
    // Made with ssh-keygen (OpenSSH 9.2) for these tests.
    private const string Ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAVuRtXI4JmfN25atDJb1+t7YjVQ1HvHfQM7pdJlObqH";
    private const string Ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGPntJLt7qEh3XkjLGmiXJKflPzW4W/lJ+Sgnhzy5u8QmD69cR9u4KvjLQSe9TUJF4ZTsjdJxT+bQVo9GhR2JRY=";

    [Theory]
    [InlineData(Ed25519 + " me@laptop", Ed25519)]
    [InlineData("  " + Ecdsa + "\tx  ", Ecdsa)]
    [InlineData(Ed25519, Ed25519)]
    public void A_bare_public_key_is_accepted_without_its_comment(string text, string expected)
    {
        Assert.Equal(expected, AuthorizedKeys.Normalize(text, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("command=\"sh\" " + Ed25519, "options before the key are not accepted")]
    [InlineData("from=\"*\"," + Ed25519, "not a key type")]
    [InlineData(Ed25519 + "\n" + Ecdsa, "is not one line")]
    [InlineData(Ed25519 + " a\rb", "is not one line")]
    [InlineData("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIAVuRtXI4JmfN25atDJb1+t7YjVQ1HvHfQM7pdJlObqH", "says it is ssh-rsa, but its key part is not")]
    [InlineData("ssh-ed25519 AAAA", "too short")]
    [InlineData("ssh-ed25519 @@@@", "not base64")]
    [InlineData("ssh-ed25519", "is not an OpenSSH public key")]
    [InlineData("", "is not an OpenSSH public key")]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "not a key type")]
    public void Anything_else_is_refused_with_the_reason(string text, string problem)
    {
        Assert.Null(AuthorizedKeys.Normalize(text, out var why));
        Assert.Contains(problem, why);
    }

    [Fact]
    public void A_key_longer_than_any_real_one_is_refused()
    {
        Assert.Null(AuthorizedKeys.Normalize("ssh-rsa " + new string('A', AuthorizedKeys.MaxKeyLength), out var why));
        Assert.Contains("longer than", why);
    }

    [Fact]
    public void The_users_own_lines_stay_in_place_and_the_managed_ones_are_replaced()
    {
        var existing = "# mine\r\n" + Ed25519 + " laptop\n\n" + Ecdsa + " Old title ucloud-integration\n" + "restrict " + Ed25519 + " x";
        var merged = AuthorizedKeys.Merge(existing, [(Ecdsa, "New\ttitle\n"), (Ed25519, ""), (Ecdsa, "twice")]);
        Assert.Equal("# mine\r\n" + Ed25519 + " laptop\n\n" + "restrict " + Ed25519 + " x\n" + Ecdsa + " New title ucloud-integration\n" + Ed25519 + " ucloud-integration\n", merged);
        // Idempotent: the same keys again change nothing; no keys leave only the user's lines.
        Assert.Equal(merged, AuthorizedKeys.Merge(merged, [(Ecdsa, "New title"), (Ed25519, "")]));
        Assert.Equal("# mine\r\n" + Ed25519 + " laptop\n\n" + "restrict " + Ed25519 + " x\n", AuthorizedKeys.Merge(merged, []));
        Assert.Equal("", AuthorizedKeys.Merge("", []));
    }

    [Theory]
    [InlineData("ssh-ed25519 AAAA x ucloud-integration", true)]
    [InlineData("ssh-ed25519 AAAA ucloud-integration  ", true)]
    [InlineData("ssh-ed25519 AAAA my-ucloud-integration", false)]
    [InlineData("# ucloud-integration keys below", false)]
    public void Only_lines_whose_last_word_is_the_marker_are_managed(string line, bool managed) =>
        Assert.Equal(managed, AuthorizedKeys.IsManaged(line));
}
