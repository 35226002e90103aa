using ProxClmc.Guard.Application.Ports;

namespace ProxClmc.Guard.Application.OwnFacts;

/// <summary>Reads this node's own facts and, on request, publishes them for the other nodes.</summary>
public sealed class FactsUseCase(IOwnFactsReader reader, IFactsPublisher publisher)
{
    public async Task<FactsResult> RunAsync(FactsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var facts = await reader.ReadAsync(request.Node, cancellationToken).ConfigureAwait(false);
        var publishedTo = request.Publish ? await publisher.PublishAsync(facts, cancellationToken).ConfigureAwait(false) : null;
        return new FactsResult(facts, publishedTo);
    }
}
