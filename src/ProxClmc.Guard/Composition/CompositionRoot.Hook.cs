using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Hook;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Infrastructure.Snapshot;
using ProxClmc.Guard.Infrastructure.Ssh;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of the hook decision.</summary>
internal static partial class CompositionRoot
{
    /// <summary>
    /// The hook decision on this node: the guest from /etc/pve, node facts from the same resolver and rules as
    /// <c>scan</c> (<see cref="DefaultSourceFactory"/>), except that the hook records nothing in the facts cache and
    /// does not start this node's QEMU (a process too slow for its budget; the worker keeps this node's published
    /// facts fresh). SSH finds a node's addresses in corosync.conf only when it has to read it.
    /// </summary>
    public static HookDecision HookDecision(RunSettings settings, CliEnvironment environment, string localNode, ICollection<IDisposable> owned)
    {
        var fileSystem = environment.FileSystem;
        var factory = new DefaultSourceFactory(
            new CliEnvironmentAccess(fileSystem, environment.Clock, () => localNode),
            s => new MemberAddressedFacts(
                new CorosyncFileMembership(s.CorosyncConf, fileSystem, localNode),
                new DeferredFactsSource(() => new SshFactsSource(SshOptions(s), environment.Clock))),
            qemuProbe: null,
            recordFacts: false);
        var sources = factory.Create(settings with { From = null, LocalNode = localNode });
        owned.Add(sources);
        if (sources.Facts is IDisposable facts)
        {
            owned.Add(facts);
        }

        return new HookDecision(new PveTreeHookGuests(new PveTree(settings.PveRoot, fileSystem), fileSystem), sources.Facts, settings, localNode);
    }
}
