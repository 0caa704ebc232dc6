using System.Text.Json;
using UcloudIm.Contracts;

namespace UcloudIm.Tests.Unit.Contracts;

public sealed class WireJsonTests
{
    [Fact]
    public void A_browse_request_as_core_sends_it_parses_whatever_the_key_casing_and_extra_fields()
    {
        // Go emits the untagged field as "Browse"; Core adds fields we do not use.
        const string json = """
            {"resolvedCollection":{"id":"7","providerGeneratedId":"dev-alice\n/home/alice","updates":[],"permissions":{"myself":["ADMIN"]}},
             "Browse":{"flags":{"path":"/7","includeTimestamps":true},"itemsPerPage":100,"next":null,"sortBy":"PATH"}}
            """;
        var r = JsonSerializer.Deserialize(json, WireJson.Default.FilesBrowseRequest)!;
        Assert.Equal(("7", "/7", 100), (r.ResolvedCollection.Id, r.Browse.Flags!.Path, r.Browse.ItemsPerPage));
        Assert.Null(r.Browse.Flags.FilterHiddenFiles);
    }

    [Theory]
    [InlineData("""{"browse":{}}""")]
    [InlineData("""{"resolvedCollection":{"id":"7"}}""")]
    [InlineData("""{"resolvedCollection":{"id":null},"browse":{}}""")]
    [InlineData("""{"resolvedCollection":null,"browse":{}}""")]
    public void A_request_missing_what_it_needs_is_refused_at_the_door(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, WireJson.Default.FilesBrowseRequest));

    [Fact]
    public void Errors_have_the_wire_shape() =>
        Assert.Equal("""{"statusCode":404,"why":"Gone","errorCode":"NOT_FOUND"}""",
            JsonSerializer.Serialize(new WireError(404, "Gone", "NOT_FOUND"), WireJson.Default.WireError));
}
