using System.Diagnostics;
using System.Text.Json.Nodes;
using UcloudIm.Contracts;
using UcloudIm.Slurm;

namespace UcloudIm.Tests.Unit.Slurm;

/// <summary>The batch script: parameter values stay values, and the web prelude gives the job a port it can use.</summary>
public sealed class JobScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imjob").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly JobProduct Product = new("std-1", "std", "batch", null, null, 1, 1, 0);

    private static JobApplication App(string invocation, JobAppInterface? ui = null) =>
        new("t", "1", "Test", [new JobAppParameter("text", "text", true, null, null, null, null), new JobAppParameter("n", "integer", true, null, 1, 10, null)],
            invocation, new Dictionary<string, string>(), ui);

    [Fact]
    public void A_text_value_reaches_the_program_as_one_word_whatever_it_holds()
    {
        const string hostile = "a'b\"c $(touch pwned) `touch pwned2`; rm -rf x\n|&<>*";
        var app = App("printf '%s' {{ text }} > out.txt");
        var script = JobScript.Render(app, JobScript.Values(app, new JsonObject { ["text"] = hostile }));
        Assert.Equal(0, Bash(script));
        Assert.Equal(hostile, File.ReadAllText(Path.Combine(_dir, "out.txt")));
        Assert.False(File.Exists(Path.Combine(_dir, "pwned")));
        Assert.False(File.Exists(Path.Combine(_dir, "pwned2")));
    }

    [Theory]
    [InlineData("0", "at least 1")]
    [InlineData("11", "at most 10")]
    [InlineData("1.5", "a whole number")]
    [InlineData("1; id", "a whole number")]
    public void Numbers_are_checked_against_type_and_limits(string value, string why)
    {
        var app = App("echo {{ n }}");
        var e = Assert.Throws<JobRequestException>(() => JobScript.Values(app, new JsonObject { ["n"] = value }));
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void A_parameter_the_application_does_not_have_is_refused() =>
        Assert.Contains("no parameter 'other'", Assert.Throws<JobRequestException>(() => JobScript.Values(App("x"), new JsonObject { ["other"] = "1" })).Message);

    [Fact]
    public void A_fixed_web_port_is_exported_and_written_for_the_interactive_session()
    {
        var header = JobScript.Header("42", Product, null, 1, TimeSpan.FromMinutes(5), _dir, App("", new JobAppInterface("WEB", 8888)));
        Assert.Equal(0, Bash(header + "echo \"$UCLOUD_PORT\" > seen.txt\n"));
        Assert.Equal("8888\n", File.ReadAllText(Path.Combine(_dir, "allocated-port.txt")));
        Assert.Equal("8888\n", File.ReadAllText(Path.Combine(_dir, "seen.txt")));
    }

    [Fact]
    public void An_automatic_web_port_is_one_no_socket_on_the_node_uses()
    {
        var header = JobScript.Header("42", Product, null, 1, TimeSpan.FromMinutes(5), _dir, App("", new JobAppInterface("WEB", null)));
        Assert.True(header.IndexOf("#SBATCH", StringComparison.Ordinal) < header.IndexOf("UCLOUD_PORT", StringComparison.Ordinal));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(0, Bash(header));
            var port = int.Parse(File.ReadAllText(Path.Combine(_dir, "allocated-port.txt")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(port, 20000, 59999);
            // Nothing listens there: binding it succeeds.
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, port);
            listener.Start();
        }
        Assert.False(File.Exists(Path.Combine(_dir, "allocated-port.txt.tmp")));
        Assert.False(File.Exists(Path.Combine(_dir, "vnc-password.txt")));
    }

    [Fact]
    public void A_vnc_application_gets_a_fresh_password_only_its_user_can_read()
    {
        var header = JobScript.Header("42", Product, null, 1, TimeSpan.FromMinutes(5), _dir, App("", new JobAppInterface("VNC", null)));
        var seen = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, Bash(header + "echo \"$UCLOUD_VNC_PASSWORD\" > seen.txt\n"));
            var password = File.ReadAllText(Path.Combine(_dir, "vnc-password.txt")).Trim();
            Assert.Matches("^[A-Za-z0-9]{8}$", password);
            Assert.Equal(password, File.ReadAllText(Path.Combine(_dir, "seen.txt")).Trim());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "vnc-password.txt")));
            seen.Add(password);
        }
        Assert.Equal(3, seen.Count);
    }

    [Fact]
    public void A_vnc_jobs_password_is_in_place_before_its_port_is()
    {
        // An open waits for allocated-port.txt alone, then reads vnc-password.txt: it must never find the port without it.
        var prelude = JobScript.InterfacePrelude(new JobAppInterface("VNC", null));
        var password = prelude.IndexOf("mv -f vnc-password.txt.tmp vnc-password.txt", StringComparison.Ordinal);
        var port = prelude.IndexOf("mv -f allocated-port.txt.tmp allocated-port.txt", StringComparison.Ordinal);
        Assert.True(password >= 0 && port > password, prelude);
    }

    private int Bash(string script)
    {
        var path = Path.Combine(_dir, "job.sh");
        File.WriteAllText(path, script);
        using var p = Process.Start(new ProcessStartInfo("bash", [path]) { WorkingDirectory = _dir, RedirectStandardError = true })!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
