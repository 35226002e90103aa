using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Placement;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Composition;

/// <summary>Application's <see cref="IHaWriter"/> port over Infrastructure's <see cref="ApiHaWriter"/>.</summary>
internal sealed class ApiHaWriterAdapter(ApiHaWriter writer) : IHaWriter
{
    public Task<bool> UsesRulesAsync(CancellationToken cancellationToken) => writer.UsesRulesAsync(cancellationToken);

    public async Task<HaWriteState> ReadAsync(bool usesRules, CancellationToken cancellationToken)
    {
        var state = await writer.ReadAsync(usesRules, cancellationToken).ConfigureAwait(false);
        return new HaWriteState(state.Digest, state.Resources, state.Placement);
    }

    public bool OnlyWritten(HaWriteState before, HaWriteState after, PlacementEntry entry) =>
        ApiHaWriter.OnlyWritten(Api(before), Api(after), entry);

    public Task CreateAsync(PlacementEntry entry, string planId, CancellationToken cancellationToken) =>
        writer.CreateAsync(entry, planId, cancellationToken);

    public async Task<HaEntryState> StateAsync(bool isRule, string id, string sid, IReadOnlyList<string> nodes, CancellationToken cancellationToken) =>
        await writer.StateAsync(isRule, id, sid, nodes, cancellationToken).ConfigureAwait(false) switch
        {
            PlacementState.AsWritten => HaEntryState.AsWritten,
            PlacementState.Gone => HaEntryState.Gone,
            _ => HaEntryState.Changed,
        };

    public Task RemoveAsync(bool isRule, string id, string sid, CancellationToken cancellationToken) =>
        writer.RemoveAsync(isRule, id, sid, cancellationToken);

    private static HaApiState Api(HaWriteState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(state.Digest, state.Resources, state.Placement);
    }
}
