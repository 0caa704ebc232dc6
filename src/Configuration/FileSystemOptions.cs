using System.Globalization;
using System.Text.RegularExpressions;

namespace UcloudIm.Configuration;

/// <summary>Whose drive a locator finds: each mapped user's, or each mapped project's.</summary>
public enum DriveEntity
{
    User,
    Project,
}

/// <summary>
/// Where a drive lives: <c>services.fileSystems.&lt;category&gt;.driveLocators.&lt;name&gt;</c>. User locators give each
/// mapped user a drive; Project locators give each mapped project (a UCloud project ↔ Unix group) one. Script
/// and MemberFiles locators are refused at start rather than ignored.
/// </summary>
public sealed partial record DriveLocator(string Category, string Name, string Title, string Pattern, long FreeQuota, DriveEntity Entity = DriveEntity.User)
{
    /// <summary>A user's drive folder, or null when a value would make the path unclean (or this is a Project locator).</summary>
    public string? PathFor(string localUsername, string ucloudUsername, uint uid) => Entity != DriveEntity.User ? null : Substitute(new()
    {
        ["localUsername"] = localUsername, ["ucloudUsername"] = ucloudUsername, ["uid"] = uid.ToString(CultureInfo.InvariantCulture),
    });

    /// <summary>A project's drive folder, or null when a value would make the path unclean (or this is a User locator).</summary>
    public string? PathForProject(string localGroupName, string ucloudProjectId, uint gid) => Entity != DriveEntity.Project ? null : Substitute(new()
    {
        ["localGroupName"] = localGroupName, ["ucloudProjectId"] = ucloudProjectId, ["gid"] = gid.ToString(CultureInfo.InvariantCulture),
    });

    private string? Substitute(Dictionary<string, string> values)
    {
        values["locatorName"] = Name;
        values["categoryName"] = Category;
        // A value that could climb or split the path is never substituted.
        if (values.Values.Any(v => v.Length == 0 || v is "." or ".." || v.Contains('/') || v.Any(char.IsControl))) return null;
        var path = Variable().Replace(Pattern, m => values[m.Groups[1].Value]);
        return path.Split('/').Any(p => p is "." or "..") ? null : path;
    }

    internal static string[] VariablesOf(DriveEntity entity) => entity == DriveEntity.User
        ? ["localUsername", "ucloudUsername", "uid", "locatorName", "categoryName"]
        : ["localGroupName", "ucloudProjectId", "gid", "locatorName", "categoryName"];

    [GeneratedRegex(@"#\{([A-Za-z]+)\}")]
    internal static partial Regex Variable();
}

/// <summary><c>services.fileSystems</c>: storage products (one per category) and their drive locators.</summary>
public sealed record FileSystemOptions(IReadOnlyList<string> Categories, IReadOnlyList<DriveLocator> Locators)
{
    public static readonly FileSystemOptions None = new([], []);

    public IEnumerable<DriveLocator> UserLocators => Locators.Where(l => l.Entity == DriveEntity.User);

    public IEnumerable<DriveLocator> ProjectLocators => Locators.Where(l => l.Entity == DriveEntity.Project);

    internal static FileSystemOptions Read(YamlSection? s)
    {
        if (s is null) return None;
        var categories = new List<string>();
        var locators = new List<DriveLocator>();
        foreach (var category in s.Keys())
        {
            var c = s.RequiredSection(category);
            categories.Add(category);
            var all = c.RequiredSection("driveLocators");
            foreach (var name in all.Keys())
            {
                var l = all.RequiredSection(name);
                var entity = l.String("entity") switch
                {
                    null or "User" => DriveEntity.User,
                    "Project" => DriveEntity.Project,
                    var other => throw l.Error("entity", $"must be User or Project, got '{other}' (MemberFiles is not supported)"),
                };
                if (l.Has("script")) throw l.Error("script", "script locators are not supported yet; use pattern");
                var pattern = l.RequiredString("pattern");
                if (!pattern.StartsWith('/')) throw l.Error("pattern", "must be an absolute path");
                var allowed = DriveLocator.VariablesOf(entity);
                foreach (Match m in DriveLocator.Variable().Matches(pattern))
                {
                    if (!allowed.Contains(m.Groups[1].Value))
                        throw l.Error("pattern", $"unknown variable #{{{m.Groups[1].Value}}} for a {entity} locator; use {string.Join(", ", allowed.Select(v => "#{" + v + "}"))}");
                }
                var title = l.String("title") ?? name;
                var quota = l.Int("freeQuota", -1, 0);
                if (quota < 0 && entity == DriveEntity.User) throw l.Error("freeQuota", "is required for User locators");
                l.Done();
                locators.Add(new DriveLocator(category, name, title, pattern, Math.Max(quota, 0), entity));
            }
            all.Done();
            c.Done();
        }
        return new FileSystemOptions(categories, locators);
    }
}
