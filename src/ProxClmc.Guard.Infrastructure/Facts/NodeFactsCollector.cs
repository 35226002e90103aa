using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Qemu;

namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>Collects this node's facts: cpuinfo, kernel release, microcode revision, and QEMU's answer under KVM.</summary>
public sealed class NodeFactsCollector(IFileSystem fileSystem, LocalFactsPaths paths, INodeQemuProbe? probe, TimeProvider clock)
{
    /// <summary>A cpuinfo larger than this is cut at a processor boundary: pmxcfs holds at most 1 MiB per file.</summary>
    public const int MaxPublishedCpuInfoChars = 512 * 1024;

    public async Task<NodeFactsDocument> CollectAsync(string node, CancellationToken cancellationToken)
    {
        var collectedAt = clock.GetUtcNow();
        var cpuinfo = fileSystem.ReadAllText(paths.CpuInfo, FileLimits.ForCpuInfo);
        var qemu = probe is null
            ? new QemuProbeResult(null, "QEMU is not asked on this run")
            : await probe.ProbeAsync(cancellationToken).ConfigureAwait(false);
        return new NodeFactsDocument
        {
            Node = node,
            CollectedAt = collectedAt,
            Kernel = ReadSmall(paths.KernelRelease),
            Microcode = Microcode(cpuinfo),
            CpuInfo = Shorten(cpuinfo),
            Qemu = qemu.Answer,
            QemuError = qemu.Answer is null ? qemu.Error : null,
        };
    }

    /// <summary>The first processor's <c>microcode</c> line (x86), else the sysfs revision, else empty.</summary>
    private string Microcode(string cpuinfo)
    {
        foreach (var line in cpuinfo.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == "microcode")
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return ReadSmall(paths.MicrocodeVersion);
    }

    private string ReadSmall(string path)
    {
        try
        {
            return fileSystem.FileExists(path) ? fileSystem.ReadAllText(path, 4096).Trim() : "";
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string Shorten(string cpuinfo)
    {
        if (cpuinfo.Length <= MaxPublishedCpuInfoChars)
        {
            return cpuinfo;
        }

        var cut = cpuinfo.LastIndexOf("\n\n", MaxPublishedCpuInfoChars, StringComparison.Ordinal);
        return cut > 0 ? cpuinfo[..(cut + 2)] : cpuinfo[..MaxPublishedCpuInfoChars];
    }
}
