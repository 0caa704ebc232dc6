namespace UcloudIm.Files.Tasks;

/// <summary>How far a background task has come, in words and percent, for the user watching it in UCloud.</summary>
public readonly record struct TaskProgress(string Text, int? Percentage);

public static class Sizes
{
    public static string Human(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1L << 20 => $"{bytes / 1024.0:0.#} KiB",
        < 1L << 30 => $"{bytes / 1048576.0:0.#} MiB",
        _ => $"{bytes / 1073741824.0:0.##} GiB",
    };
}
