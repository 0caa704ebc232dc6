namespace UcloudIm.Configuration;

/// <summary>A compute product: one size of a machine type.</summary>
public sealed record ComputeProduct(string Name, string Category, int Cpu, int MemoryInGigs, int Gpu);

/// <summary><c>services.slurm.machines.&lt;category&gt;</c>: where its jobs go, and its sizes.</summary>
public sealed record MachineType(string Category, string Partition, string? Qos, string? Constraint, string Description, IReadOnlyList<ComputeProduct> Products);

/// <summary>
/// <c>services.slurm</c>: machine types (compute products), the job folder, the Slurm account a job is charged
/// to, and how often the one cluster-wide monitor polls.
/// </summary>
public sealed record SlurmOptions(
    IReadOnlyList<MachineType> Machines,
    string JobFolder,
    string? AccountPattern,
    TimeSpan MonitorInterval,
    string Squeue,
    string Sacct,
    string Sbatch,
    string Scancel,
    string Scontrol,
    TimeSpan MaxTimeLimit,
    TimeSpan? OutsideJobsInterval,
    string Srun = "srun",
    string? ProjectAccountPattern = SlurmOptions.DefaultProjectAccountPattern)
{
    public static readonly SlurmOptions None = new([], "ucloud-jobs", null, TimeSpan.FromSeconds(5), "squeue", "sacct", "sbatch", "scancel", "scontrol",
        TimeSpan.FromDays(7), TimeSpan.FromSeconds(30));

    public const string DefaultProjectAccountPattern = "#{localGroupName}";

    /// <summary>The Slurm account of a project's jobs, or null for the user's default account.</summary>
    public string? ProjectAccountFor(string localGroupName, string ucloudProjectId, uint gid) => ProjectAccountPattern?
        .Replace("#{localGroupName}", localGroupName, StringComparison.Ordinal)
        .Replace("#{ucloudProjectId}", ucloudProjectId, StringComparison.Ordinal)
        .Replace("#{gid}", gid.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    public IEnumerable<ComputeProduct> Products => Machines.SelectMany(m => m.Products);

    public MachineType? MachineOf(string productName) => Machines.FirstOrDefault(m => m.Products.Any(p => p.Name == productName));

    internal static SlurmOptions Read(YamlSection? s)
    {
        if (s is null) return None;
        var machines = new List<MachineType>();
        var all = s.Section("machines");
        foreach (var category in all?.Keys() ?? [])
        {
            var m = all!.RequiredSection(category);
            var products = new List<ComputeProduct>();
            var ps = m.RequiredSection("products");
            foreach (var name in ps.Keys())
            {
                var p = ps.RequiredSection(name);
                products.Add(new ComputeProduct(name, category, p.Int("cpu", 1, 1, 4096), p.Int("memoryInGigs", 1, 1, 1 << 20), p.Int("gpu", 0, 0, 64)));
                p.Done();
            }
            ps.Done();
            if (products.Count == 0) throw m.Error("products", "needs at least one product");
            machines.Add(new MachineType(category, m.RequiredString("partition"), m.String("qos"), m.String("constraint"),
                m.String("description") ?? $"{category} nodes", products));
            m.Done();
        }
        all?.Done();
        var names = machines.SelectMany(m => m.Products).GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (names is not null) throw s.Error("machines", $"product name '{names.Key}' is used twice");
        var folder = s.String("jobFolder") ?? None.JobFolder;
        if (folder.StartsWith('/') || folder.Split('/').Any(c => c is "" or "." or ".."))
            throw s.Error("jobFolder", "must be a clean path relative to the user's home folder, e.g. ucloud-jobs");
        var account = s.String("accountPattern");
        var o = new SlurmOptions(machines, folder, account, s.Duration("monitorInterval", None.MonitorInterval, TimeSpan.FromMilliseconds(200)),
            s.String("squeue") ?? "squeue", s.String("sacct") ?? "sacct", s.String("sbatch") ?? "sbatch", s.String("scancel") ?? "scancel",
            s.String("scontrol") ?? "scontrol", s.Duration("maxTimeLimit", None.MaxTimeLimit, TimeSpan.FromMinutes(1)),
            s.String("outsideJobsInterval") is "off" ? null : s.Duration("outsideJobsInterval", None.OutsideJobsInterval!.Value, TimeSpan.FromMilliseconds(200)),
            s.String("srun") ?? "srun", ProjectAccount(s));
        s.Done();
        return o;
    }

    private static string? ProjectAccount(YamlSection s)
    {
        var pattern = s.String("projectAccountPattern") ?? DefaultProjectAccountPattern;
        if (pattern == "none") return null;
        foreach (System.Text.RegularExpressions.Match m in DriveLocator.Variable().Matches(pattern))
        {
            if (m.Groups[1].Value is not ("localGroupName" or "ucloudProjectId" or "gid"))
                throw s.Error("projectAccountPattern", $"unknown variable #{{{m.Groups[1].Value}}}; use #{{localGroupName}}, #{{ucloudProjectId}} or #{{gid}} (or none)");
        }
        return pattern;
    }
}
