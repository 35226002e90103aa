using System.Security.Cryptography;
using System.Text;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Snapshot;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Fix;

/// <summary>
/// The lab cluster's guests behind the two seams the fix verb uses (IGuestSource, IGuestWriter), with the write
/// semantics of the Proxmox API: a stale digest is refused, a locked VM is refused, a running VM's change goes to
/// [PENDING], every write changes the digest. The end-to-end tests run the same scenarios against the fake Proxmox.
/// </summary>
internal sealed class LabGuests : IGuestSource, IGuestWriter
{
    private readonly Dictionary<int, GuestConfig> _guests;
    private readonly string? _customModels;
    private int _version;

    public LabGuests()
    {
        var tree = new PveTree(RepoPaths.LabCluster);
        var inventory = tree.GetGuestsAsync(CancellationToken.None).GetAwaiter().GetResult();
        _guests = inventory.Guests.ToDictionary(g => g.VmId);
        _customModels = inventory.CustomCpuModelsText;
        Tree = tree;
    }

    public PveTree Tree { get; }

    /// <summary>Every accepted write, in order: (vmid, new cpu or null for a delete, digest passed).</summary>
    public List<(int VmId, string? Cpu, string Digest)> Writes { get; } = [];

    /// <summary>Called before each write is judged, with the VM id and the number of write attempts so far: a test's "someone else" or failure.</summary>
    public Func<int, int, WriteResult?>? BeforeWrite { get; set; }

    public int Attempts { get; private set; }

    public GuestConfig this[int vmId] => _guests[vmId];

    /// <summary>Someone else edits the VM (any key): the digest changes.</summary>
    public void Edit(int vmId, Func<GuestConfig, GuestConfig> change) => _guests[vmId] = Bump(change(_guests[vmId]));

    public Task<GuestInventory> GetGuestsAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new GuestInventory(_guests.Values.OrderBy(g => g.VmId).ToList(), _customModels, "cpu-models.conf"));

    public Task<GuestConfig?> ReadGuestAsync(string node, int vmId, CancellationToken cancellationToken) =>
        Task.FromResult(_guests.TryGetValue(vmId, out var g) && g.Node == node ? g : null);

    public Task<WriteResult> SetCpuAsync(string node, int vmId, string newCpu, string digest, CancellationToken cancellationToken) =>
        Task.FromResult(Write(node, vmId, newCpu, digest));

    public Task<WriteResult> DeleteCpuAsync(string node, int vmId, string digest, CancellationToken cancellationToken) =>
        Task.FromResult(Write(node, vmId, null, digest));

    private WriteResult Write(string node, int vmId, string? cpu, string digest)
    {
        Attempts++;
        if (BeforeWrite?.Invoke(vmId, Attempts) is { } injected)
        {
            return injected;
        }

        if (!_guests.TryGetValue(vmId, out var guest) || guest.Node != node)
        {
            return new WriteResult(WriteOutcome.Failed, $"Configuration file 'nodes/{node}/qemu-server/{vmId}.conf' does not exist");
        }

        if (!string.Equals(guest.Digest, digest, StringComparison.Ordinal))
        {
            return new WriteResult(WriteOutcome.DigestMismatch, "detected modified configuration - file changed by other user? Try again.");
        }

        if (guest.Lock is { } lockValue)
        {
            return new WriteResult(WriteOutcome.Locked, $"VM is locked ({lockValue})");
        }

        Writes.Add((vmId, cpu, digest));
        if (guest.IsRunning)
        {
            // qemu-server: cpu is not hotpluggable, so the value waits in [PENDING]; a pending value equal to the
            // current one is dropped (cleanup_pending).
            var same = string.Equals(cpu, guest.Cpu, StringComparison.Ordinal);
            _guests[vmId] = Bump(guest with { PendingCpu = same ? null : cpu, PendingCpuDelete = !same && cpu is null });
            return new WriteResult(WriteOutcome.Written, Pending: !same);
        }

        _guests[vmId] = Bump(guest with { Cpu = cpu, PendingCpu = null, PendingCpuDelete = false });
        return new WriteResult(WriteOutcome.Written);
    }

    private GuestConfig Bump(GuestConfig guest)
    {
        _version++;
        var digest = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes($"{guest.VmId}:{guest.Cpu}:{guest.PendingCpu}:{guest.Name}:{_version}")));
        return guest with { Digest = digest };
    }
}
