using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>The HA configuration through the API, and the ha/*.cfg files it corresponds to (for snapshots).</summary>
public sealed record ApiHaState(HaConfig Config, IReadOnlyDictionary<string, string> Files);
