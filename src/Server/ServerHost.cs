using System.Runtime.Versioning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Persistence;
using UcloudIm.Server.Connections;
using UcloudIm.Server.Core;
using UcloudIm.Server.Instances;
using UcloudIm.Server.Ipc;
using UcloudIm.Unix;

namespace UcloudIm.Server;

[SupportedOSPlatform("linux")]
public static partial class ServerHost
{
    public static string Version => typeof(ServerHost).Assembly.GetName().Version?.ToString() ?? "0";

    public static async Task<int> RunAsync(string[] args)
    {
        if (ProcessIdentity.EffectiveUid == 0)
        {
            await Console.Error.WriteLineAsync("ucloud-im-server: refusing to run as root; run it as the service account (see docs/operations.md)");
            return 2;
        }
        ImConfig config;
        try
        {
            config = ImConfig.Load(HostArgs.ConfigDir(args), ConfigReader.Server);
        }
        catch (Exception e) when (e is ConfigException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"ucloud-im-server: invalid configuration: {e.Message}");
            return 2;
        }

        JobSettings jobSettings;
        try
        {
            jobSettings = Jobs.JobSettingsBuilder.Build(config);
        }
        catch (ConfigException e)
        {
            await Console.Error.WriteLineAsync($"ucloud-im-server: invalid configuration: {e.Message}");
            return 2;
        }
        var accounts = ServiceAccounts.Resolve(config);
        PrepareDirectories(config);
        var db = config.Server!.Postgres is { } pg ? Database.Postgres(pg.ConnectionString) : Database.Sqlite(config.Server.SqlitePath);
        await db.MigrateAsync(CancellationToken.None);
        var linkKeys = new LinkKeys(await new ServerKeysRepository(db, TimeProvider.System).GetOrCreateAsync(LinkKeys.MasterKeyName, CancellationToken.None));

        var builder = WebApplication.CreateSlimBuilder(ImHostDefaults.Options());
        builder.Host.UseSystemd();
        // Failures of calls to Core are logged by the callers, in words.
        builder.Logging.QuietFrameworkLogs();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, WireJson.Default));
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(accounts);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(db);
        builder.Services.AddSingleton<ConnectionsRepository>();
        builder.Services.AddSingleton<ProjectsRepository>();
        builder.Services.AddSingleton<TasksRepository>();
        builder.Services.AddSingleton(jobSettings);
        builder.Services.AddSingleton<JobsRepository>();
        builder.Services.AddSingleton<WebEndpointsRepository>();
        builder.Services.AddSingleton<Apps.WebEndpoints>();
        builder.Services.AddSingleton<CommandRunner>();
        builder.Services.AddSingleton<Jobs.JobUpdateSender>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Jobs.JobUpdateSender>());
        builder.Services.AddSingleton<Jobs.OutsideJobs>();
        builder.Services.AddHostedService<Jobs.JobMonitor>();
        builder.Services.AddSingleton<Jobs.JobExtension>();
        builder.Services.AddSingleton<Tasks.TaskService>();
        builder.Services.AddHostedService<Tasks.TaskReporter>();
        builder.Services.AddSingleton(linkKeys);
        builder.Services.AddSingleton<InstanceLauncher>();
        builder.Services.AddSingleton<InstanceManager>();
        builder.Services.AddHostedService<InstanceSupervisor>();
        builder.Services.AddSingleton<ConnectionService>();
        builder.Services.AddSingleton<Projects.ProjectService>();
        builder.Services.AddSingleton<Drives.DriveRegistration>();
        builder.Services.AddHostedService<Drives.DriveSync>();
        builder.Services.AddHostedService<ProductRegistration>();
        builder.Services.AddHttpClient<CoreClient>(c =>
        {
            c.BaseAddress = config.Provider.Ucloud.ToUri();
            c.Timeout = TimeSpan.FromSeconds(10);
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.ListenUnixSocket(config.Provider.ServerSocket, lo => lo.UsePeerCredentials(_ => true));
        });

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Server");
        app.UseWireErrors((ctx, e) => LogUnexpected(log, ctx.Request.Path, e));
        app.UseCallerPolicy(accounts.GatewayUid, config.Provider.Id, config.Instances.MinimumUid);
        app.MapProviderEndpoints(config);
        app.MapInternalEndpoints(config.Provider.Id);
        app.MapInstanceEndpoints();

        await app.StartAsync();
        // Peers are told apart by SO_PEERCRED; the mode only has to let them connect.
        File.SetUnixFileMode(config.Provider.ServerSocket, (UnixFileMode)0b110_110_110);
        LogStarted(log, config.Provider.Id, config.Provider.ServerSocket, db.Dialect.ToString(), accounts.GatewayUid);
        await app.WaitForShutdownAsync();
        await app.Services.GetRequiredService<InstanceManager>().DisposeAsync();
        await app.DisposeAsync();
        await db.DisposeAsync();
        return 0;
    }

    /// <summary>The IPC directory and the sticky, world-writable directory where instances put their sockets.</summary>
    private static void PrepareDirectories(ImConfig config)
    {
        var ipc = config.Provider.IpcDirectory;
        if (!Directory.Exists(ipc))
            throw new ConfigException("config.yml", "provider.ipc.directory", $"{ipc} does not exist; create it owned by the service account (deploy/install.sh does)");
        UnixSocketListener.RemoveStale(config.Provider.ServerSocket);
        var instances = config.Provider.InstanceSocketDirectory;
        Directory.CreateDirectory(instances);
        // 1733: anyone may create a socket, nobody may list or remove another's. The gateway checks the peer uid anyway.
        File.SetUnixFileMode(instances, (UnixFileMode)0b1_111_011_011);
        Directory.CreateDirectory(Path.Combine(config.Provider.LogDirectory, "instances"));
    }

    [LoggerMessage(1, LogLevel.Information, "server for provider {ProviderId} listening on {Socket} (database: {Dialect}, gateway uid {GatewayUid})")]
    private static partial void LogStarted(ILogger logger, string providerId, string socket, string dialect, uint gatewayUid);

    [LoggerMessage(2, LogLevel.Error, "unexpected error serving {Path}")]
    private static partial void LogUnexpected(ILogger logger, Microsoft.AspNetCore.Http.PathString path, Exception e);
}
