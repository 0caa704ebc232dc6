using UcloudIm.Gateway;

if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("ucloud-im-gateway runs on Linux only");
    return 2;
}
return await GatewayHost.RunAsync(args);
