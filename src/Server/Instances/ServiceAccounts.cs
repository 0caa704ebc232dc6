using System.Runtime.Versioning;
using UcloudIm.Configuration;
using UcloudIm.Unix;

namespace UcloudIm.Server.Instances;

/// <summary>The uids the server trusts, resolved once at start: the gateway's, its own, and the allowed group.</summary>
[SupportedOSPlatform("linux")]
internal sealed record ServiceAccounts(uint GatewayUid, uint ServerUid)
{
    public static ServiceAccounts Resolve(ImConfig config)
    {
        var gateway = UserDatabase.FindByName(config.Gateway.User)
            ?? throw new ConfigException("config.yml", "gateway.user", $"the gateway's account '{config.Gateway.User}' does not exist");
        var server = ProcessIdentity.EffectiveUid;
        if (gateway.Uid == server)
            throw new ConfigException("config.yml", "gateway.user", "the gateway must run as its own account, not the server's");
        return new ServiceAccounts(gateway.Uid, server);
    }
}
