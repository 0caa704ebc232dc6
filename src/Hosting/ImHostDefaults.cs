using Microsoft.AspNetCore.Builder;

namespace UcloudIm.Hosting;

/// <summary>Web host options shared by every process of the module.</summary>
public static class ImHostDefaults
{
    /// <summary>
    /// The content root is the program's own directory, and configuration files are not watched: with the
    /// defaults, a process started in "/" (as systemd and sudo start them) put an inotify watch on every
    /// directory of the machine, which cost a user instance 700 ms of its start and thousands of watches.
    /// </summary>
    public static WebApplicationOptions Options() => new()
    {
        ContentRootPath = AppContext.BaseDirectory,
        Args = ["--hostBuilder:reloadConfigOnChange=false"],
    };
}
