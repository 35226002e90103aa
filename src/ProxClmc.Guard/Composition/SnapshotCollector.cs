using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Snapshot;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Facts;
using ProxClmc.Guard.Infrastructure.IO;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Infrastructure.Snapshot;
using ProxClmc.Guard.Infrastructure.Ssh;
using Serilog;

namespace ProxClmc.Guard.Composition;

/// <summary>
/// Reads the run's sources into a snapshot folder: a <c>--from</c> tree copied, this node's corosync.conf and
/// /etc/pve with the other nodes' cpuinfo over SSH, or the Proxmox API written as the files pmxcfs would hold.
/// The sources are created only when a live run needs them.
/// </summary>
internal sealed class SnapshotCollector(RunSettings settings, Func<ClusterSources> sources, CliEnvironment environment, ILogger log) : ISnapshotCollector
{
    public async Task<SnapshotContents> CollectAsync(ISnapshotFolder folder, CancellationToken cancellationToken)
    {
        var run = new SnapshotRun(settings, sources, environment, log, folder);
        if (settings.From is { } from)
        {
            await run.CopyTreeAsync(from, cancellationToken).ConfigureAwait(false);
        }
        else if (sources().Resources is ProxmoxClient client)
        {
            await run.FromApiAsync(client, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await run.FromLocalAsync(cancellationToken).ConfigureAwait(false);
        }

        return new SnapshotContents(run.Sources, run.Nodes, run.GuestFailures, run.GuestCount);
    }

    /// <summary>What one snapshot collects and writes, whichever the source.</summary>
    private sealed class SnapshotRun(RunSettings settings, Func<ClusterSources> sources, CliEnvironment environment, ILogger log, ISnapshotFolder folder)
    {
        private IFileSystem _fs = environment.FileSystem;

        public List<string> Sources { get; } = [];

        public List<SnapshotNode> Nodes { get; } = [];

        public List<string> GuestFailures { get; } = [];

        public int GuestCount { get; private set; }

        private string LocalNode => settings.LocalNode ?? environment.HostName();

        /// <summary>--from: the snapshot's own files; an /etc/pve tree has no cpuinfo, so the local node's comes from this host.</summary>
        public async Task CopyTreeAsync(string from, CancellationToken cancellationToken)
        {
            // Every file of the tree is read without following symlinks and only if regular (ContainedFileSystem).
            _fs = ContainedFileSystem.For(from, _fs);
            var tree = new PveTree(from, _fs);
            var membership = await tree.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
            Sources.Add($"tree {from}");
            CopyFile(tree.CorosyncPath, folder.WriteCorosync);
            CopyGuests(from);
            CopyFile(tree.CustomModelsPath, folder.WriteCustomModels);
            CopyHa(tree);
            CopyPublishedFacts(from, membership);

            var isSnapshot = membership.Nodes.Any(n => ProxmoxGrammar.IsSafeNodeName(n.Name) && tree.HasCpuInfo(n.Name));
            foreach (var node in membership.Nodes)
            {
                if (isSnapshot)
                {
                    var path = ProxmoxGrammar.IsSafeNodeName(node.Name) ? PveTree.CpuInfoPath(from, node.Name) : "";
                    AddNode(node, "snapshot", null, () => _fs.ReadAllBytes(path, FileLimits.ForCpuInfo), ifMissing: $"no cpuinfo in {from}");
                }
                else
                {
                    AddLocalOrMissing(node, $"no cpuinfo in {from} (an /etc/pve tree holds only the local node's, read from {settings.LocalCpuInfo})");
                }
            }
        }

        /// <summary>This node's corosync.conf and /etc/pve, the local /proc/cpuinfo, and the other nodes' over SSH.</summary>
        public async Task FromLocalAsync(CancellationToken cancellationToken)
        {
            var membership = await sources().Membership.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
            var corosync = settings.CorosyncConf.FirstOrDefault(_fs.FileExists);
            if (corosync is not null)
            {
                CopyFile(corosync, folder.WriteCorosync);
                Sources.Add($"corosync.conf {corosync}");
            }

            _fs = ContainedFileSystem.For(settings.PveRoot, _fs);
            var pve = new PveTree(settings.PveRoot, _fs);
            Sources.Add($"guests {settings.PveRoot}");
            CopyGuests(settings.PveRoot);
            CopyFile(pve.CustomModelsPath, folder.WriteCustomModels);
            CopyHa(pve);
            CopyPublishedFacts(settings.PveRoot, membership);
            await ReadNodesAsync(membership, api: null, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Membership, configs and custom models through the API, written as the files pmxcfs would hold.</summary>
        public async Task FromApiAsync(ProxmoxClient client, CancellationToken cancellationToken)
        {
            var membership = await sources().Membership.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
            Sources.Add($"api {client.ActiveUrl}");
            try
            {
                folder.WriteCorosync(SnapshotText.Bytes(ProxmoxFileFormat.CorosyncConf(membership)));
            }
            catch (SnapshotPathException e)
            {
                throw new NoAnswerException($"the cluster membership from the API cannot be written: {e.Message}");
            }


            var resources = await client.GetVmResourcesAsync(cancellationToken).ConfigureAwait(false);
            foreach (var container in resources.Where(r => r.Type == "lxc"))
            {
                WriteGuest(container.Node, container.VmId, () => folder.WriteContainerConfig(
                    container.Node, container.VmId, SnapshotText.Bytes(container.Name is { } name ? $"hostname: {name}\n" : "")));
            }

            var configs = new System.Collections.Concurrent.ConcurrentDictionary<int, (ClusterVmResource Vm, string? Text, string? Error)>();
            await Parallel.ForEachAsync(
                resources.Where(r => r.Type == "qemu"),
                new ParallelOptions { MaxDegreeOfParallelism = client.Parallelism, CancellationToken = cancellationToken },
                async (vm, ct) =>
                {
                    try
                    {
                        configs[vm.VmId] = (vm, await ReadVmConfigAsync(client, vm, ct).ConfigureAwait(false), null);
                    }
                    catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is not null)
                    {
                        configs[vm.VmId] = (vm, null, e.Message);
                    }
                    catch (SnapshotPathException e)
                    {
                        configs[vm.VmId] = (vm, null, e.Message);
                    }
                }).ConfigureAwait(false);
            foreach (var (vmId, (vm, text, error)) in configs.OrderBy(c => c.Key))
            {
                if (text is null)
                {
                    GuestFailures.Add($"VM {vmId} on {vm.Node} ({error})");
                    continue;
                }

                WriteGuest(vm.Node, vmId, () => folder.WriteVmConfig(vm.Node, vmId, SnapshotText.Bytes(text)));
            }

            var localModels = Path.Combine(settings.PveRoot, "virtual-guest", "cpu-models.conf");
            try
            {
                if (_fs.DirectoryExists(Path.Combine(settings.PveRoot, "nodes")))
                {
                    // On a node the cluster's own file is complete, on every release and whatever the token may see.
                    if (_fs.FileExists(localModels))
                    {
                        folder.WriteCustomModels(SnapshotText.Bytes(_fs.ReadAllText(localModels, FileLimits.ForPmxcfs)));
                    }
                }
                else if (await client.GetCustomCpuModelsAsync(cancellationToken).ConfigureAwait(false) is { } models)
                {
                    if (models.Count > 0)
                    {
                        folder.WriteCustomModels(SnapshotText.Bytes(CpuModelsConf(models)));
                    }

                    var missing = UsedCustomModels(configs.Values.Select(c => c.Text)).Where(m => models.All(d => d.Name != m)).ToList();
                    if (missing.Count > 0)
                    {
                        GuestFailures.Add($"virtual-guest/cpu-models.conf (GET /cluster/qemu/custom-cpu-models does not list {string.Join(", ", missing)}: {client.Principal} needs Mapping.Audit on /mapping/cpu/<name>)");
                    }
                }
                else if (UsedCustomModels(configs.Values.Select(c => c.Text)).ToList() is { Count: > 0 } used)
                {
                    GuestFailures.Add($"virtual-guest/cpu-models.conf (custom models {string.Join(", ", used)} not copied: GET /cluster/qemu/custom-cpu-models does not exist before Proxmox VE 9.1.15; run on a node)");
                }
            }
            catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { StatusCode: 403 })
            {
                GuestFailures.Add($"virtual-guest/cpu-models.conf ({e.Message})");
            }
            catch (SnapshotPathException e)
            {
                GuestFailures.Add($"virtual-guest/cpu-models.conf ({e.Message})");
            }

            try
            {
                foreach (var (file, text) in (await ApiHaReader.ReadAsync(client, cancellationToken).ConfigureAwait(false)).Files)
                {
                    folder.WriteHa(file, SnapshotText.Bytes(text));
                }
            }
            catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { StatusCode: 403 })
            {
                GuestFailures.Add($"ha/ ({e.Message})");
            }

            await ReadNodesAsync(membership, new ApiNodeFactsSource(client, environment.Clock), cancellationToken).ConfigureAwait(false);
        }

        /// <summary>The HA manager's files, copied raw (a snapshot read later must place HA guests the same way).</summary>
        private void CopyHa(PveTree tree)
        {
            foreach (var file in PveTree.HaFiles)
            {
                CopyFile(tree.HaPath(file), bytes => folder.WriteHa(file, bytes));
            }
        }

        /// <summary>The custom models (bare names) the given config texts' main sections refer to.</summary>
        private static IEnumerable<string> UsedCustomModels(IEnumerable<string?> texts) =>
            texts.OfType<string>()
                .SelectMany(t => t.Split('\n'))
                .Where(l => l.StartsWith("cpu: ", StringComparison.Ordinal))
                .Select(l => Core.Guests.GuestCpu.Parse(l["cpu: ".Length..].Trim(), "snapshot"))
                .Select(p => p.IsSuccess ? p.Value.CpuType : null)
                .OfType<string>()
                .Where(t => t.StartsWith("custom-", StringComparison.Ordinal))
                .Select(t => t["custom-".Length..])
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal);

        /// <summary>
        /// Every node's cpuinfo as facts.source picks it: the local node from its file, the others over SSH as raw
        /// text, or (facts through the API) rebuilt from the node status, which the manifest says.
        /// </summary>
        private async Task ReadNodesAsync(ClusterMembership membership, ApiNodeFactsSource? api, CancellationToken cancellationToken)
        {
            var source = settings.FactsSource;
            var results = new Dictionary<string, SnapshotNode>(StringComparer.Ordinal);
            var remote = new List<ClusterNode>();
            foreach (var node in membership.Nodes)
            {
                if (source != FactsSourceMode.Api && string.Equals(node.Name, LocalNode, StringComparison.Ordinal))
                {
                    results[node.Name] = ReadLocal(node);
                }
                else if (!ProxmoxGrammar.IsSafeNodeName(node.Name))
                {
                    results[node.Name] = Refused(node);
                }
                else
                {
                    remote.Add(node);
                }
            }

            var useSsh = source == FactsSourceMode.Ssh || (source == FactsSourceMode.Auto && api is null);
            var useApi = api is not null && source is FactsSourceMode.Auto or FactsSourceMode.Api;
            if (remote.Count > 0 && useSsh)
            {
                Sources.Add("cpuinfo over ssh");
                using var ssh = new SshFactsSource(CompositionRoot.SshOptions(settings), environment.Clock);
                foreach (var raw in await ssh.ReadAllAsync(remote, cancellationToken).ConfigureAwait(false))
                {
                    var node = remote.First(n => n.Name == raw.Node);
                    results[raw.Node] = raw.Text is { } text
                        ? AddNodeFile(node, "ssh", raw.Address, SnapshotText.Bytes(text))
                        : new SnapshotNode(raw.Node, "ssh", raw.Address, raw.Error ?? "not read");
                }

                foreach (var warning in ssh.Warnings)
                {
                    log.Warning("{Warning}", warning);
                }
            }
            else if (remote.Count > 0 && useApi)
            {
                Sources.Add("cpuinfo synthesized from the api node status");
                var subset = new ClusterMembership(membership.ClusterName, remote, membership.IsStandalone) { IpVersion = membership.IpVersion };
                foreach (var facts in await api!.GetFactsAsync(subset, cancellationToken).ConfigureAwait(false))
                {
                    var node = remote.First(n => n.Name == facts.Node);
                    try
                    {
                        results[facts.Node] = facts.Cpu is { } cpu
                            ? AddNodeFile(node, "api", facts.Address, SnapshotText.Bytes(ProxmoxFileFormat.CpuInfo(cpu)), synthesized: true)
                            : new SnapshotNode(facts.Node, "api", facts.Address, facts.Error ?? "not read");
                    }
                    catch (SnapshotPathException e)
                    {
                        results[facts.Node] = new SnapshotNode(facts.Node, "api", facts.Address, e.Message);
                    }
                }
            }
            else
            {
                foreach (var node in remote)
                {
                    var name = source.ToString().ToLowerInvariant();
                    results[node.Name] = new SnapshotNode(node.Name, name, node.Addresses.FirstOrDefault(), $"facts.source = \"{name}\" reads no other node's cpuinfo here");
                }
            }

            Nodes.AddRange(membership.Nodes.Select(n => results[n.Name]));
        }

        private void AddLocalOrMissing(ClusterNode node, string missing)
        {
            Nodes.Add(string.Equals(node.Name, LocalNode, StringComparison.Ordinal)
                ? ReadLocal(node)
                : !ProxmoxGrammar.IsSafeNodeName(node.Name) ? Refused(node) : new SnapshotNode(node.Name, "snapshot", node.Addresses.FirstOrDefault(), missing));
        }

        private void AddNode(ClusterNode node, string source, string? address, Func<byte[]> read, string ifMissing)
        {
            if (!ProxmoxGrammar.IsSafeNodeName(node.Name))
            {
                Nodes.Add(Refused(node));
                return;
            }

            try
            {
                Nodes.Add(AddNodeFile(node, source, address ?? node.Addresses.FirstOrDefault(), read()));
            }
            catch (FileNotFoundException)
            {
                Nodes.Add(new SnapshotNode(node.Name, source, node.Addresses.FirstOrDefault(), ifMissing));
            }
            catch (IOException e)
            {
                Nodes.Add(new SnapshotNode(node.Name, source, node.Addresses.FirstOrDefault(), e.Message));
            }
        }

        private SnapshotNode ReadLocal(ClusterNode node)
        {
            var path = settings.LocalCpuInfo;
            if (!ProxmoxGrammar.IsSafeNodeName(node.Name))
            {
                return Refused(node);
            }

            try
            {
                return AddNodeFile(node, "local", node.Addresses.FirstOrDefault(), _fs.ReadAllBytes(path, FileLimits.ForCpuInfo));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new SnapshotNode(node.Name, "local", node.Addresses.FirstOrDefault(), $"{path}: {e.Message}");
            }
        }

        private SnapshotNode AddNodeFile(ClusterNode node, string source, string? address, byte[] bytes, bool synthesized = false)
        {
            folder.WriteCpuInfo(node.Name, bytes);
            return new SnapshotNode(node.Name, source, address, null, synthesized);
        }

        private static SnapshotNode Refused(ClusterNode node) =>
            new(node.Name, "none", node.Addresses.FirstOrDefault(), "the node name cannot be a folder name in the snapshot (it contains '/', '..' or characters Proxmox never uses)");

        /// <summary>Raw bytes of every guest config under nodes/ (never anything else of /etc/pve, such as priv/).</summary>
        private void CopyGuests(string root)
        {
            foreach (var nodeDir in _fs.EnumerateDirectories(Path.Combine(root, "nodes")))
            {
                var node = Path.GetFileName(nodeDir);
                foreach (var (kind, write) in new (string, Action<string, int, ReadOnlySpan<byte>>)[] { ("qemu-server", folder.WriteVmConfig), ("lxc", folder.WriteContainerConfig) })
                {
                    foreach (var path in _fs.EnumerateFiles(Path.Combine(nodeDir, kind), "*.conf"))
                    {
                        var stem = Path.GetFileNameWithoutExtension(path);
                        if (stem.Length is 0 or > 9 || !stem.All(char.IsAsciiDigit) || !int.TryParse(stem, out var vmId) || vmId < 100)
                        {
                            continue;
                        }

                        WriteGuest(node, vmId, () =>
                        {
                            var bytes = _fs.ReadAllBytes(path, FileLimits.ForPmxcfs);
                            write(node, vmId, bytes);
                        });
                    }
                }
            }
        }

        /// <summary>
        /// Each node's published facts (QEMU's answer under KVM), when present and valid for that node: a later
        /// scan --from judges the node as the live scan did. The API offers no way to read them.
        /// </summary>
        private void CopyPublishedFacts(string root, ClusterMembership membership)
        {
            var copied = 0;
            foreach (var node in membership.Nodes.Where(n => ProxmoxGrammar.IsSafeNodeName(n.Name)))
            {
                if (PublishedFacts.TryReadDocument(_fs, root, node.Name, out _) is null)
                {
                    continue;
                }

                try
                {
                    folder.WritePublishedFacts(node.Name, _fs.ReadAllBytes(PublishedFacts.PathFor(root, node.Name), NodeFactsDocument.MaxBytes));
                    copied++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    log.Warning("Published facts of {Node} not copied: {Reason}", node.Name, e.Message);
                }
            }

            if (copied > 0)
            {
                Sources.Add($"published facts of {copied} node{(copied == 1 ? "" : "s")} (nodes/<node>/proxclmc-guard/facts.json)");
            }
        }

        private void WriteGuest(string node, int vmId, Action write)
        {
            try
            {
                write();
                GuestCount++;
            }
            catch (SnapshotPathException e)
            {
                GuestFailures.Add($"guest {vmId} on {node} ({e.Message})");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                GuestFailures.Add($"guest {vmId} on {node} ({e.Message})");
            }
        }

        private void CopyFile(string path, SpanWriter write)
        {
            if (_fs.FileExists(path))
            {
                write(_fs.ReadAllBytes(path, FileLimits.ForPmxcfs));
            }
        }

        private static async Task<string> ReadVmConfigAsync(ProxmoxClient client, ClusterVmResource vm, CancellationToken cancellationToken)
        {
            var entries = await client.GetVmPendingAsync(vm.Node, vm.VmId, cancellationToken).ConfigureAwait(false);
            var (current, pending, deletes) = PendingView.From(entries);
            var sections = new List<ConfigSection> { new(null, current) };
            if (pending.Count > 0 || deletes.Count > 0)
            {
                sections.Add(new ConfigSection("PENDING", pending, deletes));
            }

            if (current.ContainsKey("parent"))
            {
                foreach (var snapshot in await client.GetVmSnapshotsAsync(vm.Node, vm.VmId, cancellationToken).ConfigureAwait(false))
                {
                    if (snapshot.Name == "current" || !ProxmoxGrammar.IsSafeNodeName(snapshot.Name))
                    {
                        continue;
                    }

                    var values = await client.GetVmConfigAsync(vm.Node, vm.VmId, snapshot: snapshot.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
                    var own = new Dictionary<string, string>(values.Values, StringComparer.Ordinal);
                    if (snapshot.VmState && !own.ContainsKey("vmstate"))
                    {
                        // The listing says the snapshot has RAM state even when the config read leaves the volume out.
                        own["vmstate"] = "1";
                    }

                    sections.Add(new ConfigSection(snapshot.Name, own));
                }
            }

            return ProxmoxFileFormat.VmConfig(sections);
        }

        private static string CpuModelsConf(IEnumerable<CustomCpuModelEntry> models)
        {
            var text = new System.Text.StringBuilder();
            foreach (var model in models)
            {
                text.Append("cpu-model: ").Append(ProxmoxGrammar.RequireConfigId("custom CPU model", model.Name)).Append('\n');
                foreach (var (key, value) in model.Properties)
                {
                    text.Append("    ").Append(ProxmoxGrammar.RequireConfigKey(key)).Append(' ').Append(ProxmoxGrammar.RequireValue(key, value)).Append('\n');
                }

                text.Append('\n');
            }

            return text.ToString();
        }
    }

    private delegate void SpanWriter(ReadOnlySpan<byte> bytes);
}
