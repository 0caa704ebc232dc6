using UcloudIm.Server;

if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("ucloud-im-server runs on Linux only");
    return 2;
}
return await ServerHost.RunAsync(args);
