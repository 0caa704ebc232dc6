using UcloudIm.UserInstance;

// Started by the server through `sudo -n -u #<uid> ucloud-im-user`; everything it needs arrives on stdin.
if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("ucloud-im-user runs on Linux only");
    return 2;
}
return await InstanceHost.RunAsync(Console.In, Console.Out, Console.Error);
