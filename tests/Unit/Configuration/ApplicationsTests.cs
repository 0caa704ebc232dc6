using UcloudIm.Configuration;

namespace UcloudIm.Tests.Unit.Configuration;

/// <summary>applications/*.yml: what an application may declare, and the refusals a provider sees at start.</summary>
public sealed class ApplicationsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imapps").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private IReadOnlyList<AppDefinition> Load(string yaml)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "applications"));
        File.WriteAllText(Path.Combine(_dir, "applications", "app.yml"), yaml);
        return Applications.Load(_dir);
    }

    [Theory]
    [InlineData("web", "auto", "WEB", null)]
    [InlineData("web", "8888", "WEB", 8888)]
    [InlineData("vnc", "auto", "VNC", null)]
    [InlineData("vnc", "5901", "VNC", 5901)]
    public void An_interface_has_a_fixed_or_automatic_port(string key, string port, string kind, int? expected)
    {
        var app = Load($"name: lab\n{key}:\n  port: {port}\ninvocation: run\n").Single();
        Assert.Equal(new AppInterface(kind, expected), app.Interface);
    }

    [Fact]
    public void An_application_without_web_or_vnc_has_no_interface() =>
        Assert.Null(Load("name: plain\ninvocation: run\n").Single().Interface);

    [Fact]
    public void An_application_has_one_interface_at_most() =>
        Assert.Contains("web or vnc, not both", Assert.Throws<ConfigException>(() => Load("name: lab\nweb: { port: auto }\nvnc: { port: auto }\ninvocation: run\n")).Message);

    [Theory]
    [InlineData("80")]
    [InlineData("70000")]
    [InlineData("-1")]
    [InlineData("any")]
    public void A_port_the_user_cannot_bind_or_that_is_not_a_port_is_refused(string port)
    {
        var e = Assert.Throws<ConfigException>(() => Load($"name: lab\nweb:\n  port: {port}\ninvocation: run\n"));
        Assert.Contains("port", e.Message);
        Assert.Contains("auto or a port number from 1024 to 65535", e.Message);
    }

    [Fact]
    public void Unknown_keys_under_web_are_refused() =>
        Assert.Throws<ConfigException>(() => Load("name: lab\nweb:\n  port: auto\n  vnc: 5900\ninvocation: run\n"));

    [Theory]
    [InlineData("account")]
    [InlineData("--partition")]
    [InlineData("job-name")]
    public void An_application_cannot_set_the_providers_sbatch_options(string option)
    {
        var e = Assert.Throws<ConfigException>(() => Load($"name: lab\nsbatch:\n  {option}: x\ninvocation: run\n"));
        Assert.Contains("cannot override", e.Message);
    }
}
