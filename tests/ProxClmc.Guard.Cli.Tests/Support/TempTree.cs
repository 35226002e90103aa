namespace ProxClmc.Guard.Cli.Tests.Support;

/// <summary>A scratch directory for snapshot trees a test assembles from real files; removed afterwards.</summary>
internal sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Root = Path.Combine(Path.GetTempPath(), "proxclmc-cli-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Copies a whole folder (e.g. the lab cluster) into this tree.</summary>
    public TempTree CopyFrom(string source)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(Root, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }

        return this;
    }

    /// <summary>nodes/&lt;node&gt;/cpuinfo as a copy of a real /proc/cpuinfo.</summary>
    public TempTree AddNode(string node, string cpuinfoFile)
    {
        var dir = PathOf("nodes", node);
        Directory.CreateDirectory(dir);
        File.Copy(cpuinfoFile, Path.Combine(dir, "cpuinfo"), overwrite: true);
        return this;
    }

    public TempTree CopyFile(string source, params string[] relative)
    {
        var target = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source, target, overwrite: true);
        return this;
    }

    public string Write(string text, params string[] relative)
    {
        var target = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.WriteAllText(target, text);
        return target;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; never fail a test on cleanup.
        }
    }
}
