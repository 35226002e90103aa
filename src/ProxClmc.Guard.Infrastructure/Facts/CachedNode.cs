namespace ProxClmc.Guard.Infrastructure.Facts;

internal sealed class CachedNode
{
    public string Source { get; set; } = "";

    public string? Address { get; set; }

    public DateTimeOffset CollectedAt { get; set; }

    public CachedCpu? Cpu { get; set; }

    /// <summary>Which machine the facts were read from (e.g. "ssh-host-key:SHA256:..."); null when not known.</summary>
    public string? Identity { get; set; }
}
