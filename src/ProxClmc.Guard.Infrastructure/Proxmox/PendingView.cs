namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// A VM's <c>GET .../pending</c> answer split the way the config file has it: the current values, the values
/// waiting in [PENDING], and the keys [PENDING] deletes (in the order Proxmox lists them).
/// </summary>
public sealed record PendingView(IReadOnlyDictionary<string, string> Current, IReadOnlyDictionary<string, string> Pending, IReadOnlyList<string> Deletes)
{
    public static PendingView From(IEnumerable<PendingEntry> entries)
    {
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new Dictionary<string, string>(StringComparer.Ordinal);
        var deletes = new List<string>();
        foreach (var entry in entries)
        {
            if (entry.Value is not null)
            {
                current[entry.Key] = entry.Value;
            }

            if (entry.Pending is not null)
            {
                pending[entry.Key] = entry.Pending;
            }

            if (entry.Delete)
            {
                deletes.Add(entry.Key);
            }
        }

        return new PendingView(current, pending, deletes);
    }
}
