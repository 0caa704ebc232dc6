using System.Net;

namespace UcloudIm.Gateway.Tunnel;

/// <summary>The "address" Kestrel listens on in proxy mode: a relay the gateway dials out to.</summary>
public sealed class TunnelEndPoint(Uri relay) : EndPoint
{
    public Uri Relay { get; } = relay;

    public override string ToString() => "tunnel to " + Relay.GetLeftPart(UriPartial.Path);
}
