using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Documentation;

/// <summary>
/// What each verdict and note means, as the man page says it (roff). The switch over <see cref="Verdict"/> has no
/// default arm, so a new verdict does not build until it is described here; a test holds <see cref="Notes"/> to
/// every <see cref="GuestNote"/> code.
/// </summary>
internal static class GuestTerms
{
    // CS8524 is about numbers outside the enum; CS8509 (a named verdict without an arm) still stops the build.
#pragma warning disable CS8524
    public static string Describe(Verdict verdict) => verdict switch
    {
        Verdict.Ok => "every node where it may run supports its CPU type.",
        Verdict.ExceedsBaseline => """
            some nodes lack flags its CPU type needs; the report names the nodes and the
            flags each one lacks.
            """,
        Verdict.HostCpu => """
            the VM uses
            .B host
            or
            .BR max ,
            which is unsafe unless every node reports an identical vendor, family, model
            and flag set (then
            .B ok
            with a note).
            """,
        Verdict.UnknownModel => """
            the CPU type is neither a QEMU model nor a custom model from
            .IR cpu\-models.conf .
            """,
        Verdict.Unverified => """
            it needs something
            .I /proc/cpuinfo
            cannot show; the report says what.
            """,
        Verdict.NotApplicable => """
            the VM has
            .B kvm: 0
            or a foreign
            .B arch
            (pure emulation, no host CPU requirement), or the guest is an LXC container.
            """,
        Verdict.Ignored => """
            tagged
            .B proxclmc\-ignore
            (or listed in
            .BR "[policy] ignore_tags" / ignore_vmids );
            the reason says what the verdict would be.
            """,
        Verdict.InvalidConfig => "the guest's config cannot be read; the reason names file, line and column.",
    };
#pragma warning restore CS8524

    /// <summary>Every note a verdict can carry, with its meaning (roff), in the order the man page lists them.</summary>
    public static IReadOnlyList<(string Code, string Roff)> Notes { get; } =
    [
        (GuestNote.PendingChange, """
            a
            .B cpu
            value waiting in
            .B [PENDING]
            for the next cold start.
            """),
        (GuestNote.SnapshotCpu, "a snapshot whose cpu differs from the current one."),
        (GuestNote.SnapshotRunningCpu, "a RAM snapshot rolls back with the CPU it was taken with (a warning when that CPU is unsafe)."),
        (GuestNote.Suspended, "a hibernated VM resumes with the CPU it was suspended with (a warning when that CPU is unsafe)."),
        (GuestNote.PhysBitsHost, """
            .B phys\-bits=host
            across nodes of different physical address widths (a warning).
            """),
        (GuestNote.Template, "a template: its clones inherit its CPU type."),
        (GuestNote.Locked, "a locked VM, which fix never rewrites."),
        (GuestNote.ArgsOverride, """
            an
            .B args: \-cpu
            that overrides
            .BR cpu .
            """),
        (GuestNote.VendorMix, "the cluster mixes CPU vendors."),
        (GuestNote.CustomModel, """
            a custom model from
            .IR cpu\-models.conf .
            """),
        (GuestNote.IdenticalCpus, """
            .BR host / max
            on nodes with identical CPUs.
            """),
        (GuestNote.UncheckedNodes, "nodes whose CPU facts are unavailable were not checked (a warning)."),
        (GuestNote.QemuVersion, """
            a model only some QEMU versions know, a versioned name older Proxmox drops,
            or a win11 guest whose CET flags depend on the node's QEMU.
            """),
        (GuestNote.CpuDropped, """
            a
            .B cpu
            value Proxmox ignores; the VM starts as
            .B kvm64
            (a warning).
            """),
        (GuestNote.ConfigIgnoredLines, "lines Proxmox ignores in the VM config or in a custom model (a warning)."),
        (GuestNote.DuplicateVmId, "the VMID appears under two nodes (a warning)."),
        (GuestNote.CustomModelUnverified, "a custom model whose definition the API does not give."),
        (GuestNote.NotRead, "a guest on a node that is down, whose config was not read (a warning)."),
        (GuestNote.HaRule, "the HA rule or group that places the guest."),
        (GuestNote.HaRecovery, """
            a node the HA manager may restart the guest on cannot start it (a warning, exit 1,
            even when the verdict is ok).
            """),
        (GuestNote.HaRuleIgnored, """
            an HA rule naming the guest that the HA manager drops as infeasible, with its reason;
            the guest is judged as if the rule were not there (a warning).
            """),
    ];
}
