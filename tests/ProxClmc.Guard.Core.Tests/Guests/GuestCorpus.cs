using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Guests;

/// <summary>The VM configs of tests/corpus/qemu-server and this project's guest fixtures.</summary>
internal static class GuestCorpus
{
    public static string QemuServer => Path.Combine(RepoPaths.Corpus, "qemu-server");

    public static string Fixtures => RepoPaths.Combine("tests", "ProxClmc.Guard.Core.Tests", "Fixtures", "guests");

    /// <summary>Every VM config (relative path): all files except QEMU command lines, strict-mode errors, notes and cpu-models.conf.</summary>
    public static IReadOnlyList<string> VmConfigs { get; } = Directory
        .GetFiles(QemuServer, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(QemuServer, f).Replace('\\', '/'))
        .Where(f => !f.EndsWith(".cmd", StringComparison.Ordinal)
                    && !f.EndsWith(".error", StringComparison.Ordinal)
                    && !f.EndsWith(".tsv", StringComparison.Ordinal)
                    && !f.EndsWith(".txt", StringComparison.Ordinal)
                    && !f.StartsWith("cpu-models/", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToArray();

    public static string Read(string relative) => File.ReadAllText(Path.Combine(QemuServer, relative));

    public static string ReadFixture(string name) => File.ReadAllText(Path.Combine(Fixtures, name));
}
