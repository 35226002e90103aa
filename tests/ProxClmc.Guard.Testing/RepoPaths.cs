namespace ProxClmc.Guard.Testing;

/// <summary>Paths inside the repository, found from the test binary's location (tests never read ../shared).</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    /// <summary>tests/corpus: real-world inputs (cpuinfo/, corosync/, qemu-server/), each with SOURCES.tsv.</summary>
    public static string Corpus => Path.Combine(Root, "tests", "corpus");

    public static string Reference => Path.Combine(Root, "reference");

    public static string LabCluster => Path.Combine(Root, "contrib", "examples", "lab-cluster");

    /// <summary>contrib/examples/ha-lab: five nodes with HA resources, groups and rules.</summary>
    public static string HaLab => Path.Combine(Root, "contrib", "examples", "ha-lab");

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ProxClmc.Guard.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ProxClmc.Guard.sln not found above " + AppContext.BaseDirectory);
    }
}
