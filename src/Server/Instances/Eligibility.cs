using UcloudIm.Configuration;
using UcloudIm.Unix;

namespace UcloudIm.Server.Instances;

/// <summary>Who may have a user instance. Pure: the caller looks the user and groups up.</summary>
internal static class Eligibility
{
    /// <summary>Null when <paramref name="user"/> may run an instance; otherwise a reason an admin can act on.</summary>
    public static string? Refusal(uint uid, UnixUser? user, IReadOnlyCollection<uint> groups, uint? allowedGid,
        InstanceOptions options, uint gatewayUid, uint serverUid)
    {
        if (uid == 0) return "root never gets a user instance";
        if (user is null) return $"uid {uid} does not exist on this system";
        if (uid < options.MinimumUid) return $"{user.Name} (uid {uid}) is a system account: uids below {options.MinimumUid} are refused (userInstances.minimumUid)";
        if (uid == gatewayUid || uid == serverUid) return $"{user.Name} is one of the integration module's own service accounts";
        if (allowedGid is null) return $"the group '{options.AllowedGroup}' (userInstances.allowedGroup) does not exist";
        if (!groups.Contains(allowedGid.Value))
            return $"{user.Name} is not in the group '{options.AllowedGroup}', which sudoers allows; run: usermod -aG {options.AllowedGroup} {user.Name}";
        return null;
    }
}
