using UcloudIm.Hosting;

namespace UcloudIm.Tests.Integration.Support;

/// <summary>Runs programs for the tests through the project's own command runner.</summary>
public static class Shell
{
    private static readonly CommandRunner Runner = new();

    public static Task<CommandResult> Run(string file, params string[] args) =>
        Runner.RunAsync(new ExternalCommand(file, args) { Timeout = TimeSpan.FromSeconds(120) }, TestContext.Current.CancellationToken);

    /// <summary>As another user, with that user's groups, the way the deploy scripts start daemons.</summary>
    public static Task<CommandResult> As(string user, string file, params string[] args) =>
        Run("setpriv", [$"--reuid={user}", $"--regid={user}", "--init-groups", "--", file, .. args]);

    public static async Task<CommandResult> Ok(string file, params string[] args)
    {
        var r = await Run(file, args);
        if (!r.Succeeded) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({r.ExitCode}): {r.Stderr}{r.Stdout}");
        return r;
    }
}
