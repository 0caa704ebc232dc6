using System.Net;
using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>Drives come from the provider's locators: registered with Core when a user is mapped.</summary>
[Collection(StackCollection.Name)]
public sealed class DriveFlowTests(Stack stack)
{
    [Fact]
    public async Task Mapping_a_user_registers_their_home_drive_with_core_and_it_browses()
    {
        var user = await stack.CreateUserAsync();
        var drives = JsonNode.Parse(await stack.Sandbox.GetStringAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/drives"))!.AsArray();
        var home = Assert.Single(drives, d => d!["providerGeneratedId"]?.GetValue<string>() is not null)!;
        Assert.Equal(("Home", "home", $"/home/{user.LocalName}"), (home["title"]!.GetValue<string>(), home["category"]!.GetValue<string>(), home["localPath"]!.GetValue<string>()));
        Assert.EndsWith($"\n/home/{user.LocalName}", home["providerGeneratedId"]!.GetValue<string>());

        var listing = await stack.BrowseAsync(user with { Drive = home["id"]!.GetValue<string>() }, hold: true);
        Assert.Equal(200, listing.Status);
        Assert.Contains(".bashrc", listing.Names);

        // Mapping again (after rm) registers nothing twice: Core's 409 is taken as "already there".
        await stack.Cli("users", "rm", "--ucloud-name", user.UcloudName).ThrowIfFailed();
        await stack.Cli("users", "add", "--ucloud-name", user.UcloudName, "--local-name", user.LocalName).ThrowIfFailed();
        var again = JsonNode.Parse(await stack.Sandbox.GetStringAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/drives"))!.AsArray();
        Assert.Equal(drives.Count, again.Count);
    }

    [Fact]
    public async Task The_storage_product_lists_what_the_file_api_supports()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ucloud/{Stack.ProviderId}/files/collections/retrieveProducts");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + CoreTokens.Service(stack));
        var response = await stack.Gateway.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var support = Assert.Single(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["responses"]!.AsArray())!;
        Assert.Equal("home", support["product"]!["category"]!.GetValue<string>());
        Assert.True(support["files"]!["trashSupported"]!.GetValue<bool>());
        Assert.True(support["files"]!["streamingSearchSupported"]!.GetValue<bool>());
        Assert.True(support["files"]!["openInTerminal"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_compute_products_are_the_configured_machine_sizes_and_were_registered_with_core()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ucloud/{Stack.ProviderId}/jobs/retrieveProducts");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + CoreTokens.Service(stack));
        var response = await stack.Gateway.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var support = Assert.Single(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["responses"]!.AsArray())!;
        Assert.Equal(("std-1", "standard"), (support["product"]!["id"]!.GetValue<string>(), support["product"]!["category"]!.GetValue<string>()));
        Assert.True(support["native"]!["enabled"]!.GetValue<bool>());
        Assert.True(support["native"]!["timeExtension"]!.GetValue<bool>());
        Assert.True(support["native"]!["terminal"]!.GetValue<bool>());
        await Stack.WaitFor("products to reach Core", async () => (await stack.SandboxCallsAsync())
            .Any(c => c!["path"]!.GetValue<string>() == "/api/products/v2" && c["body"]!.GetValue<string>().Contains("\"std-1\"", StringComparison.Ordinal)));
    }
}
