namespace UcloudIm.Unix;

/// <summary>open(2)'s flags on Linux x86-64 and arm64, for the *at() calls .NET does not make.</summary>
internal static class OpenFlags
{
    internal const int ORdOnly = 0, OWrOnly = 1, OCreat = 0x40, OExcl = 0x80, OTrunc = 0x200, ONonBlock = 0x800,
        ODirectory = 0x10000, ONoFollow = 0x20000, OCloExec = 0x80000;
}
