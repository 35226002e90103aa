namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>The HA configuration as the API answered it: the digests, and the entries they cover.</summary>
public sealed record HaApiState(
    string Digest,
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> Resources,
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> Placement);
