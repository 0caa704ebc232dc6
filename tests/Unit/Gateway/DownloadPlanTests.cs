using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using UcloudIm.Gateway.Downloads;

namespace UcloudIm.Tests.Unit.Gateway;

public sealed class DownloadPlanTests
{
    private const long Length = 1_000_003;
    private static readonly DateTimeOffset Modified = new(2026, 11, 28, 12, 0, 0, 456, TimeSpan.Zero);
    private static readonly EntityTagHeaderValue Tag = new("\"f4243-19ad\"");
    private const string ModifiedHttp = "Sat, 28 Nov 2026 12:00:00 GMT";

    private static DownloadPlan Plan(string method = "GET", params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        foreach (var (name, value) in headers) context.Request.Headers[name] = value;
        return DownloadPlan.For(context.Request, Length, Modified, Tag);
    }

    [Fact]
    public void Without_conditions_the_whole_file_is_sent() =>
        Assert.Equal(new DownloadPlan(200, 0, Length), Plan());

    [Theory]
    [InlineData("bytes=0-0", 0, 1)]
    [InlineData("bytes=17-4096", 17, 4080)]
    [InlineData("bytes=999000-", 999_000, Length - 999_000)]
    [InlineData("bytes=999000-99999999", 999_000, Length - 999_000)]
    [InlineData("bytes=-10", Length - 10, 10)]
    [InlineData("bytes=-99999999", 0, Length)]
    public void One_range_is_sent_exactly(string range, long from, long count) =>
        Assert.Equal(new DownloadPlan(206, from, count), Plan("GET", ("Range", range)));

    [Theory]
    [InlineData("bytes=1000003-")]
    [InlineData("bytes=2000000-2000001")]
    [InlineData("bytes=-0")]
    public void A_range_beyond_the_file_is_not_satisfiable(string range) =>
        Assert.Equal(416, Plan("GET", ("Range", range)).Status);

    [Theory]
    [InlineData("bytes=0-1,5-6")]
    [InlineData("items=0-1")]
    [InlineData("bytes=9-2")]
    [InlineData("nonsense")]
    public void Several_ranges_another_unit_or_a_malformed_range_get_the_whole_file(string range) =>
        Assert.Equal(new DownloadPlan(200, 0, Length), Plan("GET", ("Range", range)));

    [Fact]
    public void A_head_request_ignores_range() =>
        Assert.Equal(new DownloadPlan(200, 0, Length), Plan("HEAD", ("Range", "bytes=0-0")));

    [Theory]
    [InlineData("\"f4243-19ad\"")]
    [InlineData("W/\"f4243-19ad\"")]
    [InlineData("\"other\", \"f4243-19ad\"")]
    [InlineData("*")]
    public void A_matching_if_none_match_is_not_modified(string value) =>
        Assert.Equal(304, Plan("GET", ("If-None-Match", value)).Status);

    [Fact]
    public void If_none_match_wins_over_if_modified_since() =>
        Assert.Equal(200, Plan("GET", ("If-None-Match", "\"other\""), ("If-Modified-Since", ModifiedHttp)).Status);

    [Theory]
    [InlineData(ModifiedHttp, 304)]
    [InlineData("Sat, 28 Nov 2026 11:59:59 GMT", 200)]
    public void If_modified_since_compares_whole_seconds(string since, int status) =>
        Assert.Equal(status, Plan("GET", ("If-Modified-Since", since)).Status);

    [Theory]
    [InlineData("\"other\"", 412)]
    [InlineData("W/\"f4243-19ad\"", 412)]
    [InlineData("\"f4243-19ad\"", 200)]
    [InlineData("*", 200)]
    public void If_match_needs_the_strong_tag(string value, int status) =>
        Assert.Equal(status, Plan("GET", ("If-Match", value)).Status);

    [Theory]
    [InlineData("Sat, 28 Nov 2026 11:59:59 GMT", 412)]
    [InlineData(ModifiedHttp, 200)]
    public void If_unmodified_since_refuses_a_file_changed_since(string since, int status) =>
        Assert.Equal(status, Plan("GET", ("If-Unmodified-Since", since)).Status);

    [Theory]
    [InlineData("\"f4243-19ad\"", 206)]
    [InlineData("W/\"f4243-19ad\"", 200)]
    [InlineData("\"other\"", 200)]
    [InlineData(ModifiedHttp, 206)]
    [InlineData("Sat, 28 Nov 2026 11:00:00 GMT", 200)]
    public void If_range_sends_the_range_only_for_the_same_version(string ifRange, int status)
    {
        var plan = Plan("GET", ("Range", "bytes=10-19"), ("If-Range", ifRange));
        Assert.Equal(status, plan.Status);
        Assert.Equal(status == 206 ? 10 : Length, plan.Count);
    }

    [Fact]
    public void An_empty_file_is_sent_whole_whatever_the_range()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Range = "bytes=0-10";
        Assert.Equal(new DownloadPlan(200, 0, 0), DownloadPlan.For(context.Request, 0, Modified, Tag));
    }
}
