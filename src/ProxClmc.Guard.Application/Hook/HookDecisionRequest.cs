namespace ProxClmc.Guard.Application.Hook;

/// <summary>
/// One <c>pre-start</c> of a VM on this node, as Proxmox runs the hookscript: the VM and, for a migration inside the
/// cluster, the node it comes from (<c>PVE_MIGRATED_FROM</c>).
/// </summary>
public sealed record HookDecisionRequest(int VmId, string? MigratedFrom);
