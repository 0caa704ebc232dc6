using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace UcloudIm.Gateway.Forwarding;

/// <summary>
/// Hands the forwarder the client's upgraded connection (an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT)
/// as a <see cref="GatheringReadStream"/>.
/// </summary>
public static class GatheringUpgrade
{
    public static void Install(HttpContext context)
    {
        var features = context.Features;
        if (features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            features.Set<IHttpUpgradeFeature>(new Upgrade(upgrade));
        else if (features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
            features.Set<IHttpExtendedConnectFeature>(new ExtendedConnect(connect));
    }

    private sealed class Upgrade(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;
        public async Task<Stream> UpgradeAsync() => new GatheringReadStream(await inner.UpgradeAsync());
    }

    private sealed class ExtendedConnect(IHttpExtendedConnectFeature inner) : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => inner.IsExtendedConnect;
        public string? Protocol => inner.Protocol;
        public async ValueTask<Stream> AcceptAsync() => new GatheringReadStream(await inner.AcceptAsync());
    }
}
