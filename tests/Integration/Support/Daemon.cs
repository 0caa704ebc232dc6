using System.Diagnostics;

namespace UcloudIm.Tests.Integration.Support;

/// <summary>A real process of the module, started as its own account, with its output in a log file.</summary>
public sealed class Daemon : IAsyncDisposable
{
    private readonly Process _process;
    public string Name { get; }
    public string LogPath { get; }

    private Daemon(string name, Process process, string logPath)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
    }

    public static Daemon Start(string name, string user, string logPath, string file, params string[] args)
    {
        var p = Process.Start(UcloudIm.Hosting.CommandRunner.StartInfo("setpriv",
            new[] { $"--reuid={user}", $"--regid={user}", "--init-groups", "--", file }.Concat(args)))!;
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new Daemon(name, p, logPath);
    }

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

    /// <summary>SIGKILL: no chance to clean up, as in a crash.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _ = UcloudIm.Unix.ProcessIdentity.Signal(_process.Id, 9);
        _process.WaitForExit(10_000);
    }

    public string Log() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    public async ValueTask DisposeAsync()
    {
        if (_process.HasExited) return;
        _ = UcloudIm.Unix.ProcessIdentity.Signal(_process.Id, UcloudIm.Unix.ProcessIdentity.SIGTERM);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        _process.Dispose();
    }
}
