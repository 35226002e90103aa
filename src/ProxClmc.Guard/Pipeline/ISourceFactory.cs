using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Pipeline;

/// <summary>The adapters one run reads from, chosen from the settings. A seam for verb tests.</summary>
public sealed record ClusterSources(
    IMembershipSource Membership,
    INodeFactsSource Facts,
    IGuestSource Guests,
    string Description,
    IGuestWriter? Writer = null);

public interface ISourceFactory
{
    ClusterSources Create(RunSettings settings);
}
