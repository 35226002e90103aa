using System.Collections.Concurrent;

namespace ProxClmc.Guard.Testing;

/// <summary>
/// A fixture folder (a snapshot or /etc/pve-like tree) whose real-world files are not copied into it but named in its
/// <see cref="ManifestName"/>: one line per file, the path inside the tree, a tab, and the corpus file it is (relative
/// to tests/corpus, e.g. <c>nodes/pve1/cpuinfo	cpuinfo/intel-xeon-e5-2680v3-haswell.txt</c>). <see cref="Of"/> gives
/// the tree as the product reads it: a copy with those files in place (once per test process, in a temporary folder of
/// its own). Symbolic links would not do: the product refuses to follow them inside a snapshot.
/// </summary>
public static class CorpusTree
{
    public const string ManifestName = "CORPUS.tsv";

    private static readonly ConcurrentDictionary<string, Lazy<string>> Trees = new(StringComparer.Ordinal);
    private const string ScratchPrefix = "proxclmc-corpus-trees-";

    private static readonly Lazy<string> Scratch = new(CreateScratch);

    /// <summary>
    /// <paramref name="path"/> as a test reads it: a folder with a <see cref="ManifestName"/> becomes its filled copy,
    /// a path inside such a folder the same path inside the copy, anything else itself.
    /// </summary>
    public static string Of(string path)
    {
        var full = Path.GetFullPath(path);
        for (var dir = new DirectoryInfo(full); dir is not null && dir.FullName.StartsWith(RepoPaths.Combine("tests"), StringComparison.Ordinal); dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, ManifestName)))
            {
                var copy = Trees.GetOrAdd(dir.FullName, root => new Lazy<string>(() => Fill(root))).Value;
                var relative = Path.GetRelativePath(dir.FullName, full);
                return relative == "." ? copy : Path.Combine(copy, relative);
            }
        }

        return full;
    }

    private static string Fill(string root)
    {
        var target = Path.Combine(Scratch.Value, Path.GetRelativePath(RepoPaths.Root, root));
        var manifest = Path.Combine(root, ManifestName);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            if (file == manifest)
            {
                continue;
            }

            Copy(file, Path.Combine(target, Path.GetRelativePath(root, file)));
        }

        foreach (var (line, number) in File.ReadAllLines(manifest).Select((l, i) => (l, i + 1)))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split('\t');
            var source = fields.Length == 2 ? Path.Combine(Corpus.Root, fields[1]) : null;
            if (source is null || !File.Exists(source) || Path.IsPathRooted(fields[0]) || fields[0].Split('/').Contains(".."))
            {
                throw new InvalidDataException($"{manifest}:{number}: expected '<path in the tree>\\t<file of tests/corpus>', got '{line}'");
            }

            Copy(source, Path.Combine(target, fields[0]));
        }

        return target;
    }

    private static void Copy(string source, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source, target);
    }

    /// <summary>
    /// This process's folder for the copies, named after its id. The test host is often ended without running exit
    /// handlers, so each process first removes the folders of processes that are gone.
    /// </summary>
    private static string CreateScratch()
    {
        foreach (var stale in Directory.EnumerateDirectories(Path.GetTempPath(), ScratchPrefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(stale)[ScratchPrefix.Length..], out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                Remove(stale);
            }
        }

        var scratch = Path.Combine(Path.GetTempPath(), ScratchPrefix + Environment.ProcessId);
        Remove(scratch);
        Directory.CreateDirectory(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove(scratch);
        return scratch;
    }

    private static void Remove(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process removing the same stale folder, or it is still in use: the next run removes it.
        }
    }
}
