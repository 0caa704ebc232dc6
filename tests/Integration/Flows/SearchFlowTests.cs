using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>Streaming search: Core dials the user's instance through the gateway and reads batches to an explicit end.</summary>
[Collection(StackCollection.Name)]
public sealed class SearchFlowTests(Stack stack)
{
    private Task<JsonNode> Search(TestUser user, string path, string query) => stack.SearchAsync(user, path, query);

    [Fact]
    public async Task Names_are_found_in_any_case_at_any_depth_in_batches_ending_explicitly_without_following_links()
    {
        var user = await stack.CreateUserAsync();
        var home = $"/home/{user.LocalName}";
        for (var i = 0; i < 250; i++)
        {
            Directory.CreateDirectory($"{home}/proj/run{i % 5}/deep");
            await File.WriteAllTextAsync($"{home}/proj/run{i % 5}/deep/Result-{i}.CSV", "x");
            await File.WriteAllTextAsync($"{home}/proj/run{i % 5}/other-{i}.txt", "x");
        }
        var outside = Directory.CreateTempSubdirectory("ucim-search-").FullName;
        await File.WriteAllTextAsync($"{outside}/result-outside.csv", "x");
        File.CreateSymbolicLink($"{home}/proj/link", outside);
        await Shell.Ok("chown", "-R", $"{user.LocalName}:{user.LocalName}", $"{home}/proj");
        try
        {
            var answer = await Search(user, $"/{user.Drive}/proj", "result-");
            Assert.Equal(200, answer["status"]!.GetValue<int>());
            Assert.True(answer["endOfResults"]!.GetValue<bool>());
            var files = answer["files"]!.AsArray().Select(f => f!.ToString()).ToList();
            Assert.Equal(250, files.Count);
            Assert.Equal(250, files.Distinct().Count());
            Assert.All(files, f => Assert.Matches($"^/{user.Drive}/proj/run[0-4]/deep/Result-[0-9]+\\.CSV$", f));
            Assert.True(answer["batches"]!.GetValue<int>() >= 3, "250 results came in fewer than 3 batches of at most 100");

            var none = await Search(user, $"/{user.Drive}/proj", "no-such-name");
            Assert.Equal(200, none["status"]!.GetValue<int>());
            Assert.True(none["endOfResults"]!.GetValue<bool>());
            Assert.Empty(none["files"]!.AsArray());
        }
        finally
        {
            Directory.Delete(outside, true);
        }
    }

    [Fact]
    public async Task A_missing_folder_or_another_users_drive_gets_a_clear_error()
    {
        var alice = await stack.CreateUserAsync();
        var bob = await stack.CreateUserAsync();
        var missing = await Search(alice, $"/{alice.Drive}/nowhere", "x");
        Assert.Equal(404, missing["status"]!.GetValue<int>());
        Assert.Contains("does not exist", missing["why"]!.ToString());
        var other = await Search(alice, $"/{bob.Drive}", "x");
        Assert.Equal(404, other["status"]!.GetValue<int>());
        Assert.Contains("No drive", other["why"]!.ToString());
    }
}
