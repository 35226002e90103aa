using ProxClmc.Guard.Application.Ports;

namespace ProxClmc.Guard.Application.OwnFacts;

/// <summary>
/// Reads this node's own facts and, on request, publishes them for the other nodes. Two steps, so that what the
/// reading found (no QEMU answer) is told before a publication that may fail.
/// </summary>
public sealed class FactsUseCase(IOwnFactsReader reader, IFactsPublisher publisher)
{
    /// <summary>This node's facts, not yet published.</summary>
    public async Task<FactsResult> ReadAsync(FactsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var facts = await reader.ReadAsync(request.Node, cancellationToken).ConfigureAwait(false);
        return new FactsResult(facts, null);
    }

    /// <summary>Publishes what <see cref="ReadAsync"/> found when the request asks for it; the result then names the file.</summary>
    public async Task<FactsResult> PublishAsync(FactsRequest request, FactsResult read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(read);
        return request.Publish
            ? read with { PublishedTo = await publisher.PublishAsync(read.Facts, cancellationToken).ConfigureAwait(false) }
            : read;
    }
}
