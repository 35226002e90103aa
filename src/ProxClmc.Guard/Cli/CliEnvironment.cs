using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Cli;

/// <summary>
/// Everything a verb touches outside the process: output streams, environment, files, clock and host name.
/// Tests build one with string writers and a temporary tree; the real one wraps the process
/// (<c>CompositionRoot.ProcessEnvironment</c>).
/// </summary>
public sealed class CliEnvironment
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    public IFileSystem FileSystem { get; init; } = PhysicalFileSystem.Instance;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>This host's short name (the local Proxmox node name unless cluster.local_node says otherwise).</summary>
    public Func<string> HostName { get; init; } = () => System.Net.Dns.GetHostName().Split('.')[0];

    /// <summary>The raw standard output, for documents too large to build as a string first; null in tests.</summary>
    public Func<Stream>? OpenStandardOutput { get; init; }

    /// <summary>
    /// Asks this node's QEMU under KVM ([facts] qemu_binary, or null for the default binary). Null: QEMU is not asked
    /// (tests that must not depend on the machine's KVM); the process environment asks the real QEMU.
    /// </summary>
    public Func<string?, Infrastructure.Qemu.INodeQemuProbe>? QemuProbe { get; init; }

    /// <summary>Where this node's kernel release and microcode revision are read (tests point them elsewhere).</summary>
    public Infrastructure.Facts.LocalFactsPaths LocalPaths { get; init; } = new();

    /// <summary>
    /// How long the hook may take to decide; null: the hook's own budget (<c>HookRunner.Budget</c>). Tests that run the
    /// hook in-process on a loaded machine give it longer: they check the decision, and the budget is the hook's own timing.
    /// </summary>
    public TimeSpan? HookBudget { get; init; }

    /// <summary>Width for tables (<see cref="Rendering.TableWidth"/>): the terminal's, 120 when not a terminal; tests set it.</summary>
    public int? OutputWidth { get; init; }
}
