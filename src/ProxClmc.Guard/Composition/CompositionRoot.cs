using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Hook;
using ProxClmc.Guard.Infrastructure.Ssh;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// The one place that builds adapters: every Infrastructure type the executable uses is constructed by a factory
/// method here (or in another part of this class), from the run's settings and the process environment
/// (<see cref="CliEnvironment"/>, the seam tests replace). Static and stateless: each method takes what it needs.
/// </summary>
internal static partial class CompositionRoot
{
    /// <summary>The adapters a run reads the cluster from: a snapshot or /etc/pve tree, corosync.conf and SSH, or the API.</summary>
    public static ISourceFactory SourceFactory(CliEnvironment environment) => new DefaultSourceFactory(
        new CliEnvironmentAccess(environment.FileSystem, environment.Clock, environment.HostName),
        settings => new DeferredFactsSource(() => new SshFactsSource(SshOptions(settings), environment.Clock)),
        environment.QemuProbe);

    /// <summary>This node's QEMU under KVM ([facts] qemu_binary, or null for /usr/bin/kvm, then PATH).</summary>
    public static Infrastructure.Qemu.INodeQemuProbe QemuProbe(string? binary) =>
        new Infrastructure.Qemu.QemuProbe(new Infrastructure.Qemu.QemuProbeOptions { Binary = binary });

    /// <summary>The [ssh] section as the collector takes it.</summary>
    public static SshOptions SshOptions(RunSettings settings)
    {
        var ssh = settings.Config.Ssh;
        return new SshOptions
        {
            User = ssh.User,
            Port = ssh.Port,
            IdentityFile = ssh.IdentityFile,
            KnownHostsFiles = ssh.KnownHosts,
            ConnectTimeout = ssh.ConnectTimeout,
            CommandTimeout = ssh.CommandTimeout,
            Parallelism = ssh.Parallelism,
        };
    }

    /// <summary>Sets a guest's hookscript through Proxmox's own tools on this node (<c>hook attach</c>).</summary>
    public static IHookscriptSetter HookscriptSetter(string localNode) => new PveHookscriptSetter(localNode);

    /// <summary>The files use cases read and write: the environment's reads, whole-file replacing writes.</summary>
    public static IFileStore FileStore(CliEnvironment environment) => new FileStore(environment.FileSystem);

    /// <summary>The [report] files of a scan, rendered and replaced whole.</summary>
    public static IReportSink ReportSink(RunSettings settings) => new ReportFileSink(settings);

    /// <summary>pmxcfs's cluster lock under &lt;pve_root&gt;/priv/lock (the lowest online node id without one).</summary>
    public static IClusterLock ClusterLock(RunSettings settings, TimeProvider clock) => new PmxcfsClusterLock(settings.PveRoot, clock);
}
