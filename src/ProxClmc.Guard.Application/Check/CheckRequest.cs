namespace ProxClmc.Guard.Application.Check;

/// <summary><c>check &lt;vmid&gt; [--target node]</c>: can this VM run on that node (or on each node)?</summary>
/// <param name="VmId">The VM to check.</param>
/// <param name="Target">Only this node; null for every node of the cluster.</param>
public sealed record CheckRequest(int VmId, string? Target = null);
