using System.Text.RegularExpressions;

namespace UcloudIm.Configuration;

/// <summary>
/// Where a user's drive lives: <c>services.fileSystems.&lt;category&gt;.driveLocators.&lt;name&gt;</c>. Only User
/// locators with a pattern are supported so far; anything else is refused at start rather than ignored.
/// </summary>
public sealed partial record DriveLocator(string Category, string Name, string Title, string Pattern, long FreeQuota)
{
    /// <summary>The drive's folder for a user, or null when a value would make the path unclean.</summary>
    public string? PathFor(string localUsername, string ucloudUsername, uint uid)
    {
        var values = new Dictionary<string, string>
        {
            ["localUsername"] = localUsername, ["ucloudUsername"] = ucloudUsername, ["uid"] = uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["locatorName"] = Name, ["categoryName"] = Category,
        };
        // A value that could climb or split the path is never substituted.
        if (values.Values.Any(v => v.Length == 0 || v is "." or ".." || v.Contains('/') || v.Any(char.IsControl))) return null;
        var path = Variable().Replace(Pattern, m => values[m.Groups[1].Value]);
        return path.Split('/').Any(p => p is "." or "..") ? null : path;
    }

    internal static readonly string[] Variables = ["localUsername", "ucloudUsername", "uid", "locatorName", "categoryName"];

    [GeneratedRegex(@"#\{([A-Za-z]+)\}")]
    internal static partial Regex Variable();
}

/// <summary><c>services.fileSystems</c>: storage products (one per category) and their drive locators.</summary>
public sealed record FileSystemOptions(IReadOnlyList<string> Categories, IReadOnlyList<DriveLocator> Locators)
{
    public static readonly FileSystemOptions None = new([], []);

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
                var entity = l.String("entity") ?? "User";
                if (entity != "User") throw l.Error("entity", $"only User locators are supported so far, got '{entity}'");
                if (l.Has("script")) throw l.Error("script", "script locators are not supported yet; use pattern");
                var pattern = l.RequiredString("pattern");
                if (!pattern.StartsWith('/')) throw l.Error("pattern", "must be an absolute path");
                foreach (System.Text.RegularExpressions.Match m in DriveLocator.Variable().Matches(pattern))
                {
                    if (!DriveLocator.Variables.Contains(m.Groups[1].Value))
                        throw l.Error("pattern", $"unknown variable #{{{m.Groups[1].Value}}}; use {string.Join(", ", DriveLocator.Variables.Select(v => "#{" + v + "}"))}");
                }
                var title = l.String("title") ?? name;
                var quota = l.Int("freeQuota", -1, 0);
                if (quota < 0) throw l.Error("freeQuota", "is required for User locators");
                l.Done();
                locators.Add(new DriveLocator(category, name, title, pattern, quota));
            }
            all.Done();
            c.Done();
        }
        return new FileSystemOptions(categories, locators);
    }
}
