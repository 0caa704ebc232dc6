using UcloudIm.Gateway.Routing;

namespace UcloudIm.Tests.Unit.Gateway;

public sealed class RouterTests
{
    private readonly Router _router = new("dev");
    private static readonly string Alice = UsernameCodec.Encode("alice");
    private static readonly string Bob = UsernameCodec.Encode("bob");

    [Theory]
    [InlineData("/ucloud/dev/integration/init")]
    [InlineData("/ucloud/dev/integration/connect")]
    [InlineData("/ucloud/dev/integration/unlinked")]
    [InlineData("/ucloud/dev/integration/retrieveManifest")]
    [InlineData("/ucloud/dev/jobs/retrieveProducts")]
    [InlineData("/ucloud/dev/files/collections/retrieveProducts")]
    [InlineData("/ucloud/dev/authorize-app")]
    public void Server_endpoints_go_to_the_server_even_with_a_user_header(string path)
    {
        Assert.Equal(RouteKind.Server, _router.Decide(path, Alice, null).Kind);
        Assert.Equal(RouteKind.Server, _router.Decide(path, null, null).Kind);
    }

    [Fact]
    public void Ssh_keys_go_to_the_users_instance_only_where_keys_are_installed()
    {
        var on = _router.Decide("/ucloud/dev/ssh/keyUploaded", Alice, null);
        Assert.Equal(("alice", RouteKind.User), (on.Username, on.Kind));
        var off = new Router("dev", installsSshKeys: false).Decide("/ucloud/dev/ssh/keyUploaded", Alice, null);
        Assert.Equal(RouteKind.BadRequest, off.Kind);
        Assert.Contains("does not install SSH keys", off.Problem);
        Assert.Equal(RouteKind.User, new Router("dev", installsSshKeys: false).Decide("/ucloud/dev/files/browse", Alice, null).Kind);
    }

    [Fact]
    public void A_user_endpoint_goes_to_the_user_named_by_the_header()
    {
        var d = _router.Decide("/ucloud/dev/files/browse", Alice, null);
        Assert.Equal(RouteKind.User, d.Kind);
        Assert.Equal("alice", d.Username);
    }

    [Fact]
    public void The_username_hint_names_the_user_of_browser_traffic()
    {
        var d = _router.Decide("/ucloud/dev/download", null, Alice.TrimEnd('='));
        Assert.Equal(("alice", RouteKind.User), (d.Username, d.Kind));
    }

    [Fact]
    public void The_job_follow_websocket_is_a_user_endpoint()
    {
        var d = _router.Decide("/ucloud/jobs.provider.dev/websocket", null, Alice);
        Assert.Equal(("alice", RouteKind.User), (d.Username, d.Kind));
    }

    [Fact]
    public void A_download_link_is_browser_traffic_but_nothing_else_is()
    {
        Assert.True(_router.Decide("/ucloud/dev/download", null, Alice, "GET").Browser);
        Assert.False(_router.Decide("/ucloud/dev/download", null, Alice, "POST").Browser);
        Assert.False(_router.Decide("/ucloud/dev/files/download", Alice, null, "POST").Browser);
        Assert.False(_router.Decide("/ucloud/dev/files/browse", null, Alice, "GET").Browser);
        Assert.False(_router.Decide("/ucloud/dev/download/x", null, Alice, "GET").Browser);
    }

    [Fact]
    public void Only_a_download_links_get_or_head_is_served_by_the_gateway_itself()
    {
        Assert.True(_router.Decide("/ucloud/dev/download", null, Alice, "GET").Download);
        Assert.True(_router.Decide("/ucloud/dev/download", null, Alice, "HEAD").Download);
        Assert.False(_router.Decide("/ucloud/dev/download", null, Alice, "POST").Download);
        Assert.False(_router.Decide("/ucloud/dev/upload", null, Alice, "GET").Download);
        Assert.False(_router.Decide("/ucloud/dev/files/download", Alice, null, "POST").Download);
    }

    [Fact]
    public void An_upload_socket_over_http2_arrives_as_connect_and_is_still_browser_traffic()
    {
        Assert.True(_router.Decide("/ucloud/dev/upload", null, Alice, "CONNECT").Browser);
        Assert.False(_router.Decide("/ucloud/dev/files/browse", null, Alice, "CONNECT").Browser);
    }

    [Fact]
    public void Header_and_hint_naming_different_users_is_refused() =>
        Assert.Equal(RouteKind.BadRequest, _router.Decide("/ucloud/dev/files/browse", Alice, Bob).Kind);

    [Fact]
    public void A_user_endpoint_without_a_user_is_refused_not_sent_to_the_server() =>
        Assert.Equal(RouteKind.BadRequest, _router.Decide("/ucloud/dev/files/browse", null, null).Kind);

    [Fact]
    public void An_undecodable_username_is_refused() =>
        Assert.Equal(RouteKind.BadRequest, _router.Decide("/ucloud/dev/files/browse", "!!!", null).Kind);

    [Theory]
    [InlineData("/ucloud/other/files/browse")]
    [InlineData("/api/files/browse")]
    [InlineData("/")]
    [InlineData("/ucloud/dev")]
    public void Paths_outside_this_providers_api_are_not_found(string path) =>
        Assert.Equal(RouteKind.NotFound, _router.Decide(path, Alice, null).Kind);

    [Theory]
    [InlineData("/ucloud/dev/files/../integration/init")]
    [InlineData("/ucloud/dev//integration/init")]
    public void Paths_that_could_be_read_two_ways_are_refused(string path) =>
        Assert.Equal(RouteKind.BadRequest, _router.Decide(path, Alice, null).Kind);
}
