using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using Serilog;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// The worker's <c>facts --publish</c>: before each scan it collects this node's facts and republishes them when they
/// changed (a QEMU upgrade, another kernel or microcode, a KVM that offers other features) or when the published copy
/// is older than <c>facts.max_age_seconds</c>. A failure is logged and never stops the scan.
/// </summary>
internal sealed class FactsRepublisher(NodeFactsCollector collector, IFileSystem fileSystem, TimeProvider clock, ILogger log)
{
    /// <summary>True when it wrote the file.</summary>
    public async Task<bool> RepublishIfNeededAsync(string pveRoot, string node, TimeSpan maxAge, CancellationToken cancellationToken, string? ownWriteFile = null)
    {
        try
        {
            if (!fileSystem.DirectoryExists(Path.Combine(pveRoot, "nodes", node)))
            {
                return false;
            }

            if (ownWriteFile is not null && !fileSystem.DirectoryExists(Path.GetDirectoryName(ownWriteFile)!))
            {
                // No state folder to remember the last write in: compare by content alone, as before.
                ownWriteFile = null;
            }

            var fresh = await collector.CollectAsync(node, cancellationToken).ConfigureAwait(false);
            var published = PublishedFacts.TryReadDocument(fileSystem, pveRoot, node, out _);
            var own = published is not null && PublishedFacts.IsOwnWrite(fileSystem, pveRoot, node, ownWriteFile);
            var current = published is not null && PublishedFacts.IsFresh(published.CollectedAt, clock.GetUtcNow(), maxAge);
            var why = published is null ? "none published yet"
                : ownWriteFile is not null && !own ? "the published copy is not the one this node wrote"
                : !SameFacts(published, fresh) ? "changed"
                : !current ? (published.CollectedAt > clock.GetUtcNow() ? "dated in the future" : "older than facts.max_age_seconds")
                : null;
            if (why is null)
            {
                return false;
            }

            if (fresh.Qemu is null && published?.Qemu is not null && current && (ownWriteFile is null || own))
            {
                // A QEMU that failed this once must not replace a good answer with none.
                log.Warning("No QEMU answer on {Node} ({QemuError}); keeping the published facts of {CollectedAt:u}", node, fresh.QemuError, published.CollectedAt);
                return false;
            }

            var path = await PublishedFacts.PublishAsync(pveRoot, fresh, cancellationToken, ownWriteFile).ConfigureAwait(false);
            log.Information("Published the facts of {Node} to {Path} ({Why})", node, path, why);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not publish the facts of {Node}: {Reason}", node, e.Message);
            return false;
        }
    }

    /// <summary>Same kernel, microcode, QEMU answer and CPU; the clock lines of cpuinfo (cpu MHz, bogomips) do not count.</summary>
    public static bool SameFacts(NodeFactsDocument a, NodeFactsDocument b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Kernel == b.Kernel && a.Microcode == b.Microcode && Equals(a.Qemu, b.Qemu)
            && StableCpuInfo(a.CpuInfo).SequenceEqual(StableCpuInfo(b.CpuInfo), StringComparer.Ordinal);
    }

    private static IEnumerable<string> StableCpuInfo(string cpuinfo) =>
        cpuinfo.Split('\n').Where(line => !line.StartsWith("cpu MHz", StringComparison.Ordinal) && !line.StartsWith("bogomips", StringComparison.Ordinal));
}
