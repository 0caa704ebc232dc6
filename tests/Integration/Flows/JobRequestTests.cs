using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>
/// Core's job calls with malformed bodies, sent as Core would (service token, the user's header) to alice's
/// running instance: each gets a 400 that names what is wrong, never a 500, and nothing reaches Slurm.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class JobRequestTests(Stack stack)
{
    private static readonly (string Operation, string Body, string Problem)[] Malformed =
    [
        ("jobs", """{"items":{"id":"x"}}""", "has no items"),
        ("jobs", """[1]""", "not a JSON object"),
        ("jobs", """{"items":[[1]]}""", "A job is not a JSON object"),
        ("jobs", Job("\"replicas\":4294967297"), "'replicas' must be a whole number from 1 to 1000"),
        ("jobs", Job("\"replicas\":\"2\""), "'replicas' must be a whole number"),
        ("jobs", Job("\"timeAllocation\":{\"hours\":\"two\"}"), "'hours' must be a whole number"),
        ("jobs", Job("\"timeAllocation\":{\"hours\":-1,\"minutes\":30}"), "'hours' must be a whole number from 0"),
        ("jobs", Job("\"parameters\":{}", product: "\"std-1\""), "'product' is not a JSON object"),
        ("jobs", Job("\"replicas\":1,\"replicas\":2"), "not valid JSON"),
        ("jobs/terminate", """{"items":[[1]]}""", "A job is not a JSON object"),
        ("jobs/extend", """{"items":{"a":1}}""", "has no items"),
        ("jobs/extend", """{"items":[{"job":{"providerGeneratedId":"1"},"requestedTime":{"hours":"two"}}]}""", "'hours' must be a whole number"),
        ("jobs/extend", """{"items":[{"job":{"providerGeneratedId":"1"},"requestedTime":{"hours":1e300}}]}""", "'hours' must be a whole number"),
        ("jobs/interactiveSession", """{"items":[[1]]}""", "A session request is not a JSON object"),
        ("jobs/interactiveSession", Session("\"rank\":\"x\""), "'rank' must be a whole number from 0 to 999"),
        ("jobs/interactiveSession", Session("\"rank\":4294967296"), "'rank' must be a whole number"),
        ("jobs/interactiveSession", Session("\"target\":\"tensorboard\""), "no interface 'tensorboard'"),
        ("jobs/interactiveSession", """{"items":[{"sessionType":"WEB","job":"1"}]}""", "The job is not a JSON object"),
    ];

    [Fact]
    public async Task A_malformed_job_request_is_a_400_that_names_the_problem()
    {
        var ct = TestContext.Current.CancellationToken;
        var alice = await RunningUserAsync();
        var wrong = new List<string>();
        foreach (var (operation, body, problem) in Malformed)
        {
            var response = await SendAsync(alice, operation, body, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            var why = response.StatusCode == HttpStatusCode.BadRequest ? JsonNode.Parse(text)?["why"]?.ToString() : null;
            if (why is null || !why.Contains(problem, StringComparison.Ordinal)) wrong.Add($"{operation} {body}: {(int)response.StatusCode} {text} (expected 400 '{problem}')");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        // Nothing was submitted for her.
        Assert.Equal("", (await Shell.Ok("squeue", "-h", "-u", alice.LocalName, "-o", "%i")).Stdout.Trim());
    }

    [Fact]
    public async Task A_follow_socket_whose_first_message_is_not_an_envelope_is_closed_with_the_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        var alice = await RunningUserAsync();
        using var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "Bearer " + CoreTokens.Service(stack));
        ws.Options.SetRequestHeader("UCloud-Username", Convert.ToBase64String(Encoding.UTF8.GetBytes(alice.UcloudName)));
        var url = new UriBuilder(stack.ProviderUrl) { Scheme = stack.ProviderUrl.Scheme == "https" ? "wss" : "ws", Path = $"/ucloud/jobs.provider.{Stack.ProviderId}/websocket" }.Uri;
        await ws.ConnectAsync(url, stack.Invoker, ct);
        await ws.SendAsync("[1]"u8.ToArray(), WebSocketMessageType.Text, true, ct);
        var result = await ws.ReceiveAsync(new byte[1024], ct);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, ws.CloseStatus);
        Assert.Contains("init payload", ws.CloseStatusDescription);
    }

    /// <summary>A user whose instance runs (a browse through the sandbox starts it), so that calls reach it.</summary>
    private async Task<TestUser> RunningUserAsync()
    {
        var user = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user)).Status);
        return user;
    }

    private async Task<HttpResponseMessage> SendAsync(TestUser user, string operation, string body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/ucloud/{Stack.ProviderId}/{operation}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + CoreTokens.Service(stack));
        request.Headers.TryAddWithoutValidation("UCloud-Username", Convert.ToBase64String(Encoding.UTF8.GetBytes(user.UcloudName)));
        return await stack.Gateway.SendAsync(request, ct);
    }

    /// <summary>A job that would be submitted but for <paramref name="member"/>.</summary>
    private static string Job(string member, string product = """{"id":"std-1"}""") =>
        $$$"""{"items":[{"id":"malformed-1","specification":{"product":{{{product}}},"application":{"name":"shell","version":"1"},{{{member}}}}}]}""";

    private static string Session(string member) =>
        $$$"""{"items":[{"sessionType":"WEB","job":{"id":"j1","providerGeneratedId":"1"},{{{member}}}}]}""";
}
