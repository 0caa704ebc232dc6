using UcloudIm.Configuration;

namespace UcloudIm.Tests.Unit.Configuration;

public sealed class DriveLocatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imconf").FullName;

    private const string Head = """
        provider:
          id: dev
          hosts:
            ucloud: { address: 127.0.0.1, port: 8800 }
            self: { address: 127.0.0.1, port: 8889 }
        services:
          type: Slurm
          fileSystems:
        """;

    private ImConfig Load(string fileSystems)
    {
        File.WriteAllText(Path.Combine(_dir, "config.yml"), Head + "\n" + fileSystems);
        return ImConfig.Load(_dir, ConfigReader.Gateway);
    }

    [Fact]
    public void User_locators_are_read_per_category()
    {
        var c = Load("""
                home:
                  driveLocators:
                    home: { entity: User, pattern: "/home/#{localUsername}", title: Home, freeQuota: 50 }
                scratch:
                  driveLocators:
                    scratch: { pattern: "/scratch/#{uid}", freeQuota: 0 }
            """);
        Assert.Equal(["home", "scratch"], c.FileSystems.Categories);
        var scratch = c.FileSystems.Locators.Single(l => l.Category == "scratch");
        Assert.Equal(("scratch", "/scratch/41231"), (scratch.Title, scratch.PathFor("alice", "Alice#1", 41231)));
    }

    [Theory]
    [InlineData("{ entity: MemberFiles, pattern: /p, freeQuota: 1 }", "entity")]
    [InlineData("{ entity: Project, pattern: \"/p/#{localUsername}\" }", "pattern")]
    [InlineData("{ entity: User, pattern: \"/p/#{localGroupName}\", freeQuota: 1 }", "pattern")]
    [InlineData("{ script: /x.sh, freeQuota: 1 }", "script")]
    [InlineData("{ pattern: \"relative/#{uid}\", freeQuota: 1 }", "pattern")]
    [InlineData("{ pattern: \"/h/#{nosuch}\", freeQuota: 1 }", "pattern")]
    [InlineData("{ pattern: /h }", "freeQuota")]
    [InlineData("{ pattern: /h, freeQuota: 1, color: red }", "color")]
    public void Unsupported_or_wrong_locators_are_refused_by_key(string locator, string key)
    {
        var e = Assert.Throws<ConfigException>(() => Load($"""
                home:
                  driveLocators:
                    home: {locator}
            """));
        Assert.Equal($"services.fileSystems.home.driveLocators.home.{key}", e.Key);
    }

    [Fact]
    public void Project_locators_take_the_group_and_need_no_free_quota()
    {
        var c = Load("""
                home:
                  driveLocators:
                    home: { pattern: "/home/#{localUsername}", freeQuota: 0 }
                projects:
                  driveLocators:
                    work: { entity: Project, pattern: "/work/#{localGroupName}/#{gid}", title: Project work }
            """);
        var work = c.FileSystems.ProjectLocators.Single();
        Assert.Equal(("projects", "Project work"), (work.Category, work.Title));
        Assert.Equal("/work/chem/5001", work.PathForProject("chem", "0b2c-uuid", 5001));
        Assert.Null(work.PathFor("alice", "Alice#1", 41231));
        Assert.Null(c.FileSystems.UserLocators.Single().PathForProject("chem", "0b2c-uuid", 5001));
        Assert.Null(work.PathForProject("..", "0b2c-uuid", 5001));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("x\ny")]
    public void A_ucloud_username_that_would_bend_the_path_is_never_substituted(string ucloudName)
    {
        var l = new DriveLocator("home", "home", "Home", "/srv/#{ucloudUsername}", 0);
        Assert.Null(l.PathFor("alice", ucloudName, 41231));
        Assert.Equal("/srv/Alice#1234", l.PathFor("alice", "Alice#1234", 41231));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
