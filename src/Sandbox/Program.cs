using System.Runtime.Versioning;
using UcloudIm.Sandbox;

// The sandbox stands in for Core next to a Linux provider; it uses Unix file modes for its secrets.
[assembly: SupportedOSPlatform("linux")]

if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 240;
return await SandboxCommands.Build().Parse(args).InvokeAsync();
