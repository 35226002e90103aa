namespace ProxClmc.Guard.Application.ToCluster;

/// <summary><c>check &lt;vmid&gt; --to-cluster REMOTE [--target NODE]</c>.</summary>
public sealed record ToClusterCheckRequest(string Remote, int VmId, string? Target);
