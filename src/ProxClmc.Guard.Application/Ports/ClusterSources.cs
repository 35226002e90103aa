using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>The adapters one run reads from, chosen from the settings. A seam for verb tests.</summary>
public sealed record ClusterSources(
    IMembershipSource Membership,
    INodeFactsSource Facts,
    IGuestSource Guests,
    string Description,
    IGuestWriter? Writer = null) : IDisposable
{
    /// <summary>Things every run must say in the log (for example TLS verification switched off).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>What the facts sources can tell after a run without it being a warning (which optional source was used, or why not).</summary>
    public Func<IReadOnlyList<string>>? FactsNotes { get; init; }

    /// <summary>What the facts source found wrong after reading (a published document this node did not write), logged as warnings.</summary>
    public Func<IReadOnlyList<string>>? FactsWarnings { get; init; }

    /// <summary>Where <c>baseline --custom-model --apply</c> writes (the API on 9.1.15+, or cpu-models.conf on a node); null when read-only.</summary>
    public ICustomModelTarget? CustomModelTarget { get; init; }

    /// <summary>Connections the sources hold (the API client), released after the run.</summary>
    public IDisposable? Resources { get; init; }

    public void Dispose() => Resources?.Dispose();
}
