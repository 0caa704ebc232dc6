using System.Globalization;

namespace UcloudIm.Slurm;

/// <summary>
/// Records from squeue/sacct printed with the \x1f delimiter and the job name as the last field. A name may
/// hold the delimiter itself (everything after the fixed fields is the name) and newlines (a line that does
/// not start a record continues the previous record's name). Pure, and tested on captured real output.
/// </summary>
public static class SlurmRecords
{
    public const char Delimiter = '\u001f';

    public static List<string[]> Parse(string text, int fields)
    {
        var records = new List<string[]>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 && records.Count == 0) continue;
            var parts = line.Split(Delimiter, fields);
            if (parts.Length == fields && StartsWithJobId(parts[0]))
            {
                records.Add(parts);
            }
            else if (records.Count > 0)
            {
                // The previous name went on over a newline (the final newline of the output adds nothing).
                if (line.Length > 0) records[^1][fields - 1] += "\n" + line;
            }
        }
        return records;
    }

    private static bool StartsWithJobId(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);
}

/// <summary>One line of <c>squeue -h -a -t all -o %A\x1f%i\x1f%T\x1f%U\x1f%r\x1f%j</c>.</summary>
public sealed record QueueEntry(long JobId, string DisplayId, string State, uint Uid, string Reason, string Name)
{
    public const string Format = "%A\u001f%i\u001f%T\u001f%U\u001f%r\u001f%j";

    public static List<QueueEntry> Parse(string text) =>
        SlurmRecords.Parse(text, 6).Select(f => new QueueEntry(
            long.Parse(f[0], CultureInfo.InvariantCulture), f[1], f[2],
            uint.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : uint.MaxValue, f[4], f[5])).ToList();
}

/// <summary>One line of <c>sacct -n -X -P --delimiter=\x1f -o JobIDRaw,JobID,State,ExitCode,UID,Reason,Elapsed,JobName</c>.</summary>
public sealed record AccountingEntry(long JobId, string DisplayId, string State, string ExitCode, uint Uid, string Reason, string Elapsed, string Name)
{
    public const string Fields = "JobIDRaw,JobID,State,ExitCode,UID,Reason,Elapsed,JobName";

    public static List<AccountingEntry> Parse(string text) =>
        SlurmRecords.Parse(text, 8).Select(f => new AccountingEntry(
            long.Parse(f[0], CultureInfo.InvariantCulture), f[1], f[2], f[3],
            uint.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : uint.MaxValue, f[5], f[6], f[7])).ToList();
}
