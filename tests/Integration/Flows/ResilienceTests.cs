using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>When a part is missing, callers get an answer they can act on, never a hang or a 500.</summary>
[Collection(StackCollection.Name)]
public sealed class ResilienceTests(Stack stack)
{
    [Fact]
    public async Task With_the_server_down_the_gateway_answers_503_so_core_retries()
    {
        var emptyIpc = $"{stack.IpcDir}-noserver";
        Directory.CreateDirectory(emptyIpc);
        await Shell.Ok("chown", "ucloud:ucloud", emptyIpc);
        var (gateway, client) = await stack.StartGatewayAsync("gateway-noserver", c => c.Replace(stack.IpcDir, emptyIpc, StringComparison.Ordinal));
        await using (gateway)
        using (client)
        {
            var token = CoreTokens.Service(stack);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/ucloud/{Stack.ProviderId}/files/browse")
            {
                Content = new StringContent("{}", Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            request.Headers.TryAddWithoutValidation("UCloud-Username", Convert.ToBase64String("alice"u8.ToArray()));
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(503, body["statusCode"]!.GetValue<int>());
            Assert.Contains("temporarily unavailable", body["why"]!.GetValue<string>());
        }
        Directory.Delete(emptyIpc);
    }

    [Fact]
    public async Task A_malformed_request_body_gets_a_400_that_says_what_is_wrong()
    {
        var user = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        var token = CoreTokens.Service(stack);
        foreach (var body in new[] { "{\"browse\":{}}", "not json", "" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/ucloud/{Stack.ProviderId}/files/browse")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            request.Headers.TryAddWithoutValidation("UCloud-Username", Convert.ToBase64String(Encoding.UTF8.GetBytes(user.UcloudName)));
            var response = await stack.Gateway.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"'{body}' got {(int)response.StatusCode}");
            Assert.Contains("not a valid FilesBrowseRequest", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["why"]!.GetValue<string>());
        }
    }
}
