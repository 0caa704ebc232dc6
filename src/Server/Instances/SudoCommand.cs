using System.Globalization;
using UcloudIm.Configuration;

namespace UcloudIm.Server.Instances;

/// <summary>
/// The one privileged step: <c>sudo -n -u #&lt;uid&gt; -- &lt;user-instance binary&gt;</c>. No other argument and no
/// environment is passed; the bootstrap (with the secret) goes over stdin, where no other user can read it.
/// </summary>
internal static class SudoCommand
{
    public static (string FileName, IReadOnlyList<string> Arguments) Build(InstanceOptions options, uint uid)
    {
        if (uid == 0) throw new ArgumentOutOfRangeException(nameof(uid), "a user instance never runs as root");
        if (uid < options.MinimumUid) throw new ArgumentOutOfRangeException(nameof(uid), $"uid {uid} is below the minimum uid {options.MinimumUid}");
        // -n: never prompt (a missing sudoers rule fails at once); '#uid' pins the uid even if names are reused.
        return (options.Sudo, ["-n", "-u", "#" + uid.ToString(CultureInfo.InvariantCulture), "--", options.Executable]);
    }
}
