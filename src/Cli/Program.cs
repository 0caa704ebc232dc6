using System.Runtime.Versioning;
using UcloudIm.Cli;

// An admin tool for the Linux frontend node: peer credentials, passwd and sudo are all Linux's.
[assembly: SupportedOSPlatform("linux")]

return await CliCommands.RunAsync(args);
