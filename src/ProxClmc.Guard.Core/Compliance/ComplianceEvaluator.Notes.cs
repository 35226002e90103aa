using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Policy;

namespace ProxClmc.Guard.Core.Compliance;

// The notes a verdict carries (guest options, pending values, pinned CPUs, phys-bits).
public sealed partial class ComplianceEvaluator
{
    // ---- notes ---------------------------------------------------------------------------------------------

    private void AddGuestNotes(GuestConfig guest, List<GuestNote> notes)
    {
        if (guest.Template)
        {
            notes.Add(new GuestNote(GuestNote.Template, "template: clones inherit this CPU type"));
        }

        if (guest.Lock is { } lockValue)
        {
            notes.Add(new GuestNote(GuestNote.Locked, $"locked ({lockValue}): will not be rewritten"));
        }

        if (guest.Lock == "suspended" || guest.RunningCpu is not null)
        {
            var (text, unsafe_) = guest.RunningCpu is { } running
                ? PinnedCpu(running)
                : ("the CPU it was suspended with", true);
            notes.Add(new GuestNote(GuestNote.Suspended, $"hibernated: resumes with {text}", IsWarning: unsafe_));
        }

        foreach (var snapshot in guest.Snapshots)
        {
            if (snapshot.RunningCpu is { } pinned)
            {
                var (text, unsafe_) = PinnedCpu(pinned);
                notes.Add(new GuestNote(GuestNote.SnapshotRunningCpu, $"RAM snapshot '{snapshot.Name}' rolls back with {text}", IsWarning: unsafe_));
            }
            else if (!string.Equals(snapshot.Cpu, guest.Cpu, StringComparison.Ordinal))
            {
                var dropped = DropReason(snapshot.Cpu) is { } why ? $" ({why}: Proxmox ignores it and a rollback starts kvm64)" : "";
                notes.Add(new GuestNote(GuestNote.SnapshotCpu, $"snapshot '{snapshot.Name}' has cpu {snapshot.Cpu ?? "kvm64 (default)"}{dropped}"));
            }
        }
    }

    /// <summary>
    /// A <c>runningcpu</c> string (the exact QEMU <c>-cpu</c> a RAM snapshot or hibernated VM resumes with), judged
    /// like an <c>args: -cpu</c>: the pin matters only when some node cannot run it.
    /// </summary>
    private (string Text, bool Unsafe) PinnedCpu(string runningCpu)
    {
        // Judged against every node, and the same few pins repeat across many guests' snapshots: once per value.
        if (_pinned.TryGetValue(runningCpu, out var known))
        {
            return known;
        }

        var result = JudgePinnedCpu(runningCpu);
        _pinned[runningCpu] = result;
        return result;
    }

    private (string Text, bool Unsafe) JudgePinnedCpu(string runningCpu)
    {
        var spec = QemuCpuArgument.ParseSpec(runningCpu, "runningcpu");
        if (!spec.IsSuccess)
        {
            return ($"-cpu {runningCpu} (cannot be parsed)", true);
        }

        var flags = spec.Value.Flags.Where(f => !f.Name.StartsWith("kvm_", StringComparison.Ordinal)).ToList();
        var judged = EvaluateVm(new GuestConfig { VmId = 0, Node = "" }, spec.Value.Model, flags);
        return judged switch
        {
            { Verdict: Verdict.Ok } => ($"-cpu {spec.Value.Model} (every node can run it)", false),
            { Verdict: Verdict.Unverified } => ($"-cpu {spec.Value.Model} ({judged.Reason})", true),
            _ => ($"-cpu {spec.Value.Model}: {judged.Reason}", true),
        };
    }

    private GuestVerdict EvaluateVm(GuestConfig guest, string model, IReadOnlyList<GuestCpuFlag> flags)
    {
        var scratch = new List<GuestNote>();
        var spec = ResolveModelName(model, flags, null, model, scratch, raw: true);
        return spec.Failure is not null
            ? new GuestVerdict { Guest = guest, Verdict = spec.FailureVerdict, Cpu = spec.Display, Reason = spec.Failure }
            : spec.IsHost ? JudgeHost(guest, spec, scratch) : JudgeModel(guest, spec, scratch);
    }

    private void AddPendingNote(GuestConfig guest, List<GuestNote> notes)
    {
        if (guest.PendingCpu is null && !guest.PendingCpuDelete)
        {
            return;
        }

        var pending = EvaluateCpuValue(guest, guest.PendingCpuDelete ? null : guest.PendingCpu);
        var dropped = guest.PendingCpuDelete ? null : DropReason(guest.PendingCpu);
        var value = guest.PendingCpuDelete
            ? "kvm64 (cpu deleted)"
            : dropped is not null
                ? $"{guest.PendingCpu}, which Proxmox ignores ({dropped}): kvm64"
                : guest.PendingCpu!;

        // A pending value Proxmox will drop is a change that silently does not happen: worth a warning.
        notes.Add(new GuestNote(
            GuestNote.PendingChange,
            $"pending: cpu becomes {value} at the next cold start ({pending.Verdict.Name()})",
            IsWarning: pending.Verdict.IsUnsafe() || dropped is not null));
    }

    private void AddPhysBitsNote(string? physBits, List<GuestNote> notes)
    {
        if (!string.Equals(physBits, "host", StringComparison.Ordinal))
        {
            return;
        }

        // The note depends only on the nodes: built for the first guest that asks, shared by the rest.
        if (!_physBitsHostNote.Known)
        {
            _physBitsHostNote = (true, PhysBitsHostNote());
        }

        if (_physBitsHostNote.Note is { } note)
        {
            notes.Add(note);
        }
    }

    private GuestNote? PhysBitsHostNote()
    {
        var unknown = _readableNodes.Where(n => n.Facts.Cpu!.PhysicalAddressBits is null).Select(n => n.Node).ToList();
        if (unknown.Count > 0)
        {
            // The API's node status has no address sizes: say so rather than assume the widths match.
            return new GuestNote(
                GuestNote.PhysBitsHost,
                $"phys-bits=host, and the physical address width of {string.Join(", ", unknown)} is unknown (facts without 'address sizes'); widths may differ",
                IsWarning: true);
        }

        var widths = _readableNodes
            .Select(n => n.Facts.Cpu!.PhysicalAddressBits)
            .Where(b => b is not null)
            .Select(b => b!.Value)
            .Distinct()
            .Order()
            .ToList();
        return widths.Count > 1
            ? new GuestNote(
                GuestNote.PhysBitsHost,
                $"phys-bits=host across nodes of {string.Join("/", widths)} bits: a VM started on a wider node can crash after migrating to a narrower one (use phys-bits={widths[0]})",
                IsWarning: true)
            : null;
    }

    private static void AddUncheckedNote(IReadOnlyList<NodeFit> fits, List<GuestNote> notes)
    {
        var unchecked_ = fits.Where(f => f.CanRun is null && f.Reason.StartsWith("CPU facts unavailable", StringComparison.Ordinal)).Select(f => f.Node).ToList();
        if (unchecked_.Count > 0)
        {
            notes.Add(new GuestNote(GuestNote.UncheckedNodes, "not checked on " + string.Join(", ", unchecked_) + " (CPU facts unavailable)", IsWarning: true));
        }
    }

    private static string Origin(GuestConfig guest) => guest.Origin ?? $"VM {guest.VmId}";

    private static string VendorName(string vendorId) => vendorId switch
    {
        "GenuineIntel" => "Intel",
        "AuthenticAMD" => "AMD",
        "HygonGenuine" => "Hygon",
        _ => vendorId,
    };

    /// <summary>Lists up to eight items, then "and N more", so a reason stays one readable line.</summary>
    /// <summary>The first <paramref name="max"/> items and how many more; one more is named, never "and 1 more".</summary>
    internal static string Abbreviate(IReadOnlyCollection<string> items, int max = 8) =>
        items.Count <= max + 1 ? string.Join(", ", items) : string.Join(", ", items.Take(max)) + $" and {items.Count - max} more";
}
