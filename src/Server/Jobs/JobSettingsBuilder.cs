using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Slurm;

namespace UcloudIm.Server.Jobs;

/// <summary>What instances get to submit jobs, from services.slurm and applications/*.yml, checked at start.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class JobSettingsBuilder
{
    public static JobSettings Build(ImConfig config)
    {
        var apps = Applications.Load(config.Directory);
        foreach (var app in apps)
        {
            if (JobScript.Check(app.Invocation) is { } problem)
                throw new ConfigException($"applications/{app.Name}", "invocation", $"is not a valid template: {problem}");
        }
        var s = config.Slurm;
        return new JobSettings(
            s.Machines.SelectMany(m => m.Products.Select(p => new JobProduct(p.Name, m.Category, m.Partition, m.Qos, m.Constraint, p.Cpu, p.MemoryInGigs, p.Gpu))).ToList(),
            s.JobFolder, s.AccountPattern,
            apps.Select(a => new JobApplication(a.Name, a.Version, a.Title,
                a.Parameters.Select(p => new JobAppParameter(p.Name, p.Type, p.Optional, p.Default, p.Min, p.Max, p.Options)).ToList(),
                a.Invocation, a.Sbatch, a.Interface is { } i ? new JobAppInterface(i.Kind, i.Port) : null)).ToList(),
            s.Sbatch, s.Scancel, Srun: s.Srun);
    }
}
