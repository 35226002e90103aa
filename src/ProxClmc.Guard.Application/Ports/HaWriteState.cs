namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// The HA configuration as <see cref="IHaWriter.ReadAsync"/> found it: the digests (<c>resources=... rules=...</c>,
/// or <c>groups=...</c>), and the entries they cover, each a list of key and value.
/// </summary>
public sealed record HaWriteState(
    string Digest,
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> Resources,
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> Placement);
