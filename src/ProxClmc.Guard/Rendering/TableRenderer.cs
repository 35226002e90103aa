using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Rendering;

/// <summary>The human-readable output: node table, cluster CPU type, guest table, summary.</summary>
public sealed class TableRenderer
{
    private readonly TextWriter _writer;
    private readonly int _width;
    private readonly bool _shorten;

    /// <param name="width">Columns (<see cref="TableWidth"/>); null: the console's.</param>
    /// <param name="shorten">False with -v: every reason whole.</param>
    public TableRenderer(TextWriter writer, int? width, bool shorten = true)
    {
        _writer = writer;
        _width = width ?? TableWidth.ForConsole();
        _shorten = shorten;
    }

    /// <summary>
    /// The node table, under the same width policy as the guest table: the CPU column (which also holds why a node
    /// could not be read) takes the room left; on a narrow terminal the address, source and vendor columns are left
    /// out, in that order, then the physical address width and the named model. -v and JSON keep everything whole.
    /// </summary>
    public void WriteBaseline(ClusterAnalysis cluster)
    {
        var baseline = cluster.Baseline;
        var name = cluster.Membership.ClusterName is { } n ? $"Cluster {n}" : cluster.Membership.IsStandalone ? "Standalone node" : "Cluster";
        _writer.WriteLine(Names.Visible($"{name}: {cluster.Membership.Nodes.Count} node{(cluster.Membership.Nodes.Count == 1 ? "" : "s")}, read from {cluster.SourceDescription}"));

        var rows = new List<string[]>(baseline.Nodes.Count);
        foreach (var node in baseline.Nodes)
        {
            var facts = node.Facts;
            var address = facts.Address.Length == 0 ? "-" : facts.Address;
            rows.Add(facts.Cpu is { } cpu
                ? [
                    node.Node,
                    address,
                    Names.Vendor(cpu.VendorId),
                    _shorten ? Names.ShortModelName(cpu.ModelName) : Names.ModelName(cpu.ModelName),
                    CpuCatalog.LevelName(node.Level),
                    node.BestNamedModel?.Name ?? "-",
                    cpu.PhysicalAddressBits?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                    Names.Source(facts.Source) + (facts.IsStale ? " (last known)" : "") + (facts.Qemu is { } qemu ? $", QEMU {qemu.Version}" : facts.KvmFlags is not null ? ", KVM flags" : ""),
                ]
                : [node.Node, address, "-", "UNREADABLE: " + (facts.Error ?? "no facts"), "-", "-", "-", Names.Source(facts.Source)]);
        }

        _writer.WriteLine();
        TextTable.Write(
            _writer,
            _width,
            ["Node", "Address", "Vendor", "CPU", "Level", "Best named model", "Phys bits", "Source"],
            rows,
            [(1, 0), (7, 0), (2, 0), (6, 0), (5, 0)],
            _shorten,
            flexible: 3,
            preferred: 20);
        _writer.WriteLine();
        foreach (var line in BaselineLines(baseline))
        {
            _writer.WriteLine(Names.Visible(line));
        }
    }

    /// <summary>The lines under the node table, shared with <c>check</c>'s header.</summary>
    public static IEnumerable<string> BaselineLines(Core.Cpu.ClusterBaseline baseline)
    {
        yield return $"Cluster CPU type: {baseline.ClusterCpuType}" + (baseline.PinnedModel is not null ? " (pinned by policy.baseline)" : "") + (baseline.IsPartial ? " (PARTIAL)" : "");
        if (baseline.PinnedModel is not null)
        {
            yield return $"Computed level: {CpuCatalog.LevelName(baseline.Level)}";
        }

        if (baseline.NamedModel is { } named)
        {
            yield return $"Best shared named model: {named.Name}";
        }

        if (baseline.MinPhysBits is { } bits)
        {
            yield return $"Narrowest physical address width: {bits} bits";
        }

        if (baseline.IsPartial)
        {
            yield return $"PARTIAL: could not read {string.Join(", ", baseline.UnreadableNodes)}; the baseline covers only the other nodes";
        }

        foreach (var node in baseline.NodesBelowPin)
        {
            yield return $"NON-COMPLIANT: {node} cannot run the pinned baseline {baseline.PinnedModel?.Name}";
        }

        foreach (var warning in baseline.Warnings)
        {
            yield return "Warning: " + warning;
        }
    }

    /// <summary>
    /// The guest table is laid out by hand: it can have thousands of rows, where a Spectre table (which measures and
    /// wraps every cell) takes tens of seconds. The reason column is last and never padded or wrapped, so grep sees
    /// a whole reason on one line.
    /// </summary>
    public void WriteGuests(ComplianceReport report)
    {
        // Two passes over the verdicts instead of a list of formatted rows: the first measures each column (longest
        // cell, widest first token), the second formats one row at a time and writes it (10,000 guests: no row is kept).
        var columns = new TextTable.Columns(6);
        foreach (var row in GuestRows(report))
        {
            columns.Add(row);
        }

        _writer.WriteLine();
        TextTable.WriteRows(_writer, _width, ["VMID", "Name", "Node", "CPU", "Verdict", "Reason"], columns, GuestRows(report), [(3, 16), (1, 10), (1, 0)], _shorten);
        _writer.WriteLine();
        _writer.WriteLine(Summary(report));
    }

    /// <summary>The guest table's rows, one at a time, in one reused array.</summary>
    private static IEnumerable<string[]> GuestRows(ComplianceReport report)
    {
        var row = new string[6];
        foreach (var verdict in report.Verdicts)
        {
            var guest = verdict.Guest;
            row[0] = guest.VmId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            row[1] = Names.Visible(guest.Name ?? "-");
            row[2] = Names.Visible(guest.Node);
            row[3] = Names.Visible(verdict.Cpu.Length == 0 ? "-" : verdict.Cpu);
            row[4] = verdict.Verdict.Name();
            row[5] = Names.Visible(verdict.Reason);
            yield return row;
            foreach (var note in verdict.Notes)
            {
                row[0] = row[1] = row[2] = row[3] = row[4] = "";
                row[5] = (note.IsWarning ? "! " : "- ") + Names.Visible(note.Text);
                yield return row;
            }
        }
    }

    /// <summary>
    /// "Changes since &lt;time&gt;": one line per change, losses marked "!" (see <see cref="CpuChanges"/>); "none" when
    /// nothing changed; on the first scan (or after an unusable state) where the state now is.
    /// </summary>
    public void WriteChanges(CpuChanges changes)
    {
        _writer.WriteLine();
        if (changes.Since is not { } since)
        {
            _writer.WriteLine(Names.Visible($"No earlier state to compare with: the cluster's CPU is now recorded in {changes.StateFile}"));
            return;
        }

        if (changes.Changes.Count == 0)
        {
            _writer.WriteLine($"Changes since {Time(since)}: none");
            return;
        }

        _writer.WriteLine($"Changes since {Time(since)}:");
        foreach (var change in changes.Changes)
        {
            _writer.WriteLine(TableWidth.Fit(Names.Visible($"  {(change.IsLoss ? '!' : '-')} {change.Describe()}"), _width, _shorten));
        }
    }

    /// <summary>A change's time as the tables show it: 2026-11-23 12:00 UTC.</summary>
    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Summary(ComplianceReport report)
    {
        var parts = VerdictNames.All
            .Select(v => (Verdict: v, Count: report.Count(v)))
            .Where(x => x.Count > 0)
            .Select(x => $"{x.Count} {x.Verdict.Name()}");
        return $"{report.Verdicts.Count} guest{(report.Verdicts.Count == 1 ? "" : "s")}: {report.UnsafeCount} unsafe, {report.WarningCount} with warnings ({string.Join(", ", parts)})";
    }
}
