using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

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

    /// <summary>
    /// The frameworks' per-request lines (ASP.NET Core's, YARP's "Proxying to …", HttpClient's "Sending HTTP
    /// request …") only from Warning up: they name full URLs, and a download or upload URL carries its token,
    /// which must never reach a log. They also cost every request a console write.
    /// </summary>
    public static ILoggingBuilder QuietFrameworkLogs(this ILoggingBuilder logging) => logging
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
        .AddFilter("Yarp", LogLevel.Warning)
        .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
}
