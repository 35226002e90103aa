using ProxClmc.Guard.Application.Configuration;

namespace ProxClmc.Guard.Application.Ports;

/// <summary>Builds the adapters one run reads from, from that run's settings (the composition root's, or a verb test's).</summary>
public interface ISourceFactory
{
    ClusterSources Create(RunSettings settings);
}
