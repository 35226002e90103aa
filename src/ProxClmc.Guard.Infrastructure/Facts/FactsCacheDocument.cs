namespace ProxClmc.Guard.Infrastructure.Facts;

internal sealed class FactsCacheDocument
{
    public int SchemaVersion { get; set; }

    public SortedDictionary<string, CachedNode?>? Nodes { get; set; }
}
