using System.Diagnostics;
using System.Text;

namespace UcloudIm.Hosting;

/// <summary>An external program to run: an argument list, never a shell string.</summary>
public sealed record ExternalCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Written to the program's standard input, then closed. Secrets go here, not in arguments.</summary>
    public string? StandardInput { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public override string ToString() => $"{FileName} {string.Join(' ', Arguments)}";
}

/// <summary>What happened: exit code, stdout and stderr are always kept, so "failed" never becomes "absent".</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Thrown when a command could not be started or ran past its timeout (and was killed).</summary>
public sealed class CommandFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The one way this project runs an external program.</summary>
public sealed class CommandRunner
{
    /// <summary>Start settings for a program whose three standard streams we hold: an argument list, no shell.</summary>
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        return psi;
    }

    public async Task<CommandResult> RunAsync(ExternalCommand command, CancellationToken cancellationToken)
    {
        var psi = StartInfo(command.FileName, command.Arguments);
        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            throw new CommandFailedException($"could not start {command.FileName}: {e.Message}", e);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(command.Timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            if (command.StandardInput is { } input) await process.StandardInput.WriteAsync(input.AsMemory(), timeout.Token);
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            return new CommandResult(process.ExitCode, await stdout, await stderr, watch.Elapsed);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            if (cancellationToken.IsCancellationRequested) throw;
            throw new CommandFailedException($"{command.FileName} ran past its timeout of {command.Timeout.TotalSeconds:0.#} s and was killed");
        }
    }
}
