namespace ProxClmc.Guard.Testing;

/// <summary>
/// The real-world inputs every test reads, one copy each: tests/corpus (the repository's copy of the corpus kept
/// beside the project, with its SOURCES.tsv files; tests never read outside the repository) and each test project's
/// own test data. A fixture that needs a corpus file names it here instead of keeping a copy.
/// </summary>
public static class Corpus
{
    /// <summary>tests/corpus: cpuinfo/, corosync/ and qemu-server/, each with SOURCES.tsv.</summary>
    public static string Root => RepoPaths.Corpus;

    /// <summary>A file of one corpus kind: <c>Corpus.File("qemu-server", "real-world/x.conf")</c>.</summary>
    public static string File(string kind, string name) => Path.Combine(Root, kind, name);

    /// <summary>A real /proc/cpuinfo of tests/corpus/cpuinfo.</summary>
    public static string CpuInfo(string name) => File("cpuinfo", name);

    /// <summary>Test data of one test project: <c>Corpus.TestData("ProxClmc.Guard.Cli.Tests", "Fixtures", "hook")</c>.</summary>
    public static string TestData(string project, params string[] parts) => Path.Combine([RepoPaths.Root, "tests", project, .. parts]);
}
