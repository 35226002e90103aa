namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// The daemon's <c>facts --publish</c> before each scan: republishes this node's facts when they changed or the
/// published copy is too old. A failure is the adapter's to log; it never stops the scan.
/// </summary>
public interface IOwnFactsRefresher
{
    /// <summary>True when it wrote the published document.</summary>
    Task<bool> RefreshAsync(string node, CancellationToken cancellationToken);
}
