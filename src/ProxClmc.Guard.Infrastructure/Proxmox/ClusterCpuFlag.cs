using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary><c>GET /version</c>.</summary>
internal sealed record ProxmoxVersion(string Version, string? Release, string? RepoId)
{
    internal static ProxmoxVersion Parse(JsonElement data)
    {
        ProxmoxJson.RequireObject(data, "version");
        return new(data.GetRequiredString("version", "version"), data.GetStringLenient("release"), data.GetStringLenient("repoid"));
    }
}

/// <summary>One entry of <c>GET /cluster/status</c>: the cluster itself (<see cref="Type"/> "cluster") or a node.</summary>
internal sealed record ClusterStatusEntry(string Type, string Name, int? NodeId, string? Ip, bool Online, bool Local, bool? Quorate)
{
    public bool IsNode => Type == "node";

    internal static ClusterStatusEntry Parse(JsonElement item) => new(
        item.GetRequiredString("type", "cluster status entry"),
        item.GetRequiredString("name", "cluster status entry"),
        item.GetInt32Lenient("nodeid"),
        item.GetStringLenient("ip"),
        item.GetBoolLenient("online") ?? false,
        item.GetBoolLenient("local") ?? false,
        item.GetBoolLenient("quorate"));

    private static readonly byte[][] Names = ["type"u8.ToArray(), "name"u8.ToArray(), "nodeid"u8.ToArray(), "ip"u8.ToArray(), "online"u8.ToArray(), "local"u8.ToArray(), "quorate"u8.ToArray()];

    /// <summary>The same as <see cref="Parse"/>, read straight off the reader standing on the entry's <c>{</c>.</summary>
    internal static ClusterStatusEntry Read(ref Utf8JsonReader reader)
    {
        const string what = "cluster status entry";
        Span<Scalar> f = new Scalar[7];
        ProxmoxReader.ReadFields(ref reader, Names, f, what);
        return new(
            f[0].AsString ?? throw new ProxmoxShapeException($"{what} has no \"type\""),
            f[1].AsString ?? throw new ProxmoxShapeException($"{what} has no \"name\""),
            f[2].AsInt32,
            f[3].AsString,
            f[4].AsBool ?? false,
            f[5].AsBool ?? false,
            f[6].AsBool);
    }
}

/// <summary>One guest of <c>GET /cluster/resources?type=vm</c>. <c>name</c>/<c>template</c> may be missing while statistics are not there yet.</summary>
public sealed record ClusterVmResource(
    string Id, int VmId, string Node, string Type, string? Status, string? Name, bool Template, string? Lock, string? Tags, string? Pool, string? HaState)
{
    internal static ClusterVmResource Parse(JsonElement item)
    {
        var id = item.GetStringLenient("id");
        var vmid = item.GetInt32Lenient("vmid")
            ?? (id is not null && int.TryParse(id[(id.IndexOf('/', StringComparison.Ordinal) + 1)..], out var parsed) ? parsed : (int?)null)
            ?? throw new ProxmoxShapeException($"cluster resource {id ?? "?"} has no \"vmid\"");
        var type = item.GetRequiredString("type", $"cluster resource {vmid}");
        return new(
            id ?? $"{type}/{vmid}",
            vmid,
            item.GetRequiredString("node", $"cluster resource {vmid}"),
            type,
            item.GetStringLenient("status"),
            item.GetStringLenient("name"),
            item.GetBoolLenient("template") ?? false,
            item.GetStringLenient("lock"),
            item.GetStringLenient("tags"),
            item.GetStringLenient("pool"),
            item.GetStringLenient("hastate"));
    }

    private static readonly byte[][] Names =
    [
        "id"u8.ToArray(), "vmid"u8.ToArray(), "type"u8.ToArray(), "node"u8.ToArray(), "status"u8.ToArray(), "name"u8.ToArray(),
        "template"u8.ToArray(), "lock"u8.ToArray(), "tags"u8.ToArray(), "pool"u8.ToArray(), "hastate"u8.ToArray(),
    ];

    /// <summary>The same as <see cref="Parse"/>, read straight off the reader standing on the entry's <c>{</c>.</summary>
    internal static ClusterVmResource Read(ref Utf8JsonReader reader)
    {
        var f = new Scalar[11];
        ProxmoxReader.ReadFields(ref reader, Names, f, "cluster resource");
        var id = f[0].AsString;
        var vmid = f[1].AsInt32
            ?? (id is not null && int.TryParse(id[(id.IndexOf('/', StringComparison.Ordinal) + 1)..], out var parsed) ? parsed : (int?)null)
            ?? throw new ProxmoxShapeException($"cluster resource {id ?? "?"} has no \"vmid\"");
        var type = f[2].AsString ?? throw new ProxmoxShapeException($"cluster resource {vmid} has no \"type\"");
        return new(
            id ?? $"{type}/{vmid}",
            vmid,
            f[3].AsString ?? throw new ProxmoxShapeException($"cluster resource {vmid} has no \"node\""),
            type,
            f[4].AsString,
            f[5].AsString,
            f[6].AsBool ?? false,
            f[7].AsString,
            f[8].AsString,
            f[9].AsString,
            f[10].AsString);
    }
}

/// <summary>
/// The <c>cpuinfo</c> of <c>GET /nodes/{node}/status</c>; <see cref="Flags"/> is the first CPU's flags line (undocumented,
/// present since 2019). <see cref="Vendor"/> (<c>vendor_id</c>) and <see cref="Family"/> (<c>cpu family</c>) come with
/// libpve-common-perl 9.1.6 (pve-common commit d2582a9, 2026-01); <c>model</c> is the model name, no numeric model is given.
/// </summary>
internal sealed record NodeCpuInfo(string? Model, string? Flags, int? Cpus, int? Sockets, int? Cores, string? Vendor = null, int? Family = null)
{
    /// <summary>
    /// The running kernel's release (6.8.12-4-pve): <c>current-kernel.release</c>, else the second word of
    /// <c>kversion</c> ("Linux 6.8.12-4-pve #1 SMP ..."), as pve-manager's node status gives them
    /// (PVE/API2/Nodes.pm status, get_current_kernel_info; commit 14a22df3). Null when neither says.
    /// </summary>
    public string? Kernel { get; init; }

    internal static NodeCpuInfo Parse(JsonElement data)
    {
        ProxmoxJson.RequireObject(data, "node status");
        if (data.Property("cpuinfo") is not { } cpu || cpu.ValueKind != JsonValueKind.Object)
        {
            throw new ProxmoxShapeException("node status has no \"cpuinfo\" object");
        }

        // read_cpuinfo's defaults for a line it did not find are "unknown" and 0: no answer, not a vendor or family.
        var vendor = cpu.GetStringLenient("vendor");
        var family = cpu.GetInt32Lenient("family");
        var release = data.Property("current-kernel") is { ValueKind: JsonValueKind.Object } current ? current.GetStringLenient("release") : null;
        var kversion = data.GetStringLenient("kversion")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        release ??= kversion is [_, var second, ..] ? second : null;
        return new NodeCpuInfo(
            cpu.GetStringLenient("model"), cpu.GetStringLenient("flags"), cpu.GetInt32Lenient("cpus"), cpu.GetInt32Lenient("sockets"), cpu.GetInt32Lenient("cores"),
            vendor is null or "" or "unknown" ? null : vendor,
            family is null or 0 ? null : family)
        {
            Kernel = release is { Length: > 0 and <= 256 } ? release : null,
        };
    }
}

/// <summary>A VM config as the API returns it: keys to their values as written in the file, plus <c>digest</c>.</summary>
public sealed record QemuConfigValues(IReadOnlyDictionary<string, string> Values, string? Digest)
{
    public string? Get(string key) => Values.TryGetValue(key, out var v) ? v : null;

    internal static QemuConfigValues Parse(JsonElement data)
    {
        ProxmoxJson.RequireObject(data, "VM config");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in data.EnumerateObject())
        {
            if (ProxmoxJson.AsString(property.Value) is { } text)
            {
                values[property.Name] = text;
            }
        }

        values.Remove("digest", out var digest);
        return new(values, digest);
    }

    /// <summary>The same as <see cref="Parse"/>, read straight off the reader standing on the answer's data.</summary>
    internal static QemuConfigValues Read(ref Utf8JsonReader reader)
    {
        ProxmoxReader.RequireObject(ref reader, "VM config");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        ProxmoxReader.ReadStrings(ref reader, "VM config", (name, text) => values[name] = text);
        values.Remove("digest", out var digest);
        return new(values, digest);
    }
}

/// <summary>One entry of <c>GET .../pending</c>: the current value, the value waiting for the next cold start, or a pending delete.</summary>
public sealed record PendingEntry(string Key, string? Value, string? Pending, bool Delete)
{
    internal static PendingEntry Parse(JsonElement item) => new(
        item.GetRequiredString("key", "pending entry"),
        item.GetStringLenient("value"),
        item.GetStringLenient("pending"),
        (item.GetInt64Lenient("delete") ?? 0) != 0);

    private static readonly byte[][] Names = ["key"u8.ToArray(), "value"u8.ToArray(), "pending"u8.ToArray(), "delete"u8.ToArray()];

    /// <summary>The same as <see cref="Parse"/>, read straight off the reader standing on the entry's <c>{</c>.</summary>
    internal static PendingEntry Read(ref Utf8JsonReader reader)
    {
        Span<Scalar> f = new Scalar[4];
        ProxmoxReader.ReadFields(ref reader, Names, f, "pending entry");
        return new(
            f[0].AsString ?? throw new ProxmoxShapeException("pending entry has no \"key\""),
            f[1].AsString,
            f[2].AsString,
            (f[3].AsInt64 ?? 0) != 0);
    }
}

/// <summary>One entry of <c>GET .../snapshot</c> ("current" is the running state, not a snapshot).</summary>
public sealed record SnapshotListEntry(string Name, bool VmState, string? Parent)
{
    internal static SnapshotListEntry Parse(JsonElement item) => new(
        item.GetRequiredString("name", "snapshot entry"),
        item.GetBoolLenient("vmstate") ?? false,
        item.GetStringLenient("parent"));

    private static readonly byte[][] Names = ["name"u8.ToArray(), "vmstate"u8.ToArray(), "parent"u8.ToArray()];

    /// <summary>The same as <see cref="Parse"/>, read straight off the reader standing on the entry's <c>{</c>.</summary>
    internal static SnapshotListEntry Read(ref Utf8JsonReader reader)
    {
        Span<Scalar> f = new Scalar[3];
        ProxmoxReader.ReadFields(ref reader, Names, f, "snapshot entry");
        return new(
            f[0].AsString ?? throw new ProxmoxShapeException("snapshot entry has no \"name\""),
            f[1].AsBool ?? false,
            f[2].AsString);
    }
}

/// <summary>One model of <c>GET /nodes/{node}/capabilities/qemu/cpu</c> (answered for the node you are connected to).</summary>
internal sealed record QemuCpuModelEntry(string Name, string? Vendor, bool Custom)
{
    internal static QemuCpuModelEntry Parse(JsonElement item) => new(
        item.GetRequiredString("name", "CPU model entry"), item.GetStringLenient("vendor"), item.GetBoolLenient("custom") ?? false);
}

/// <summary>One flag of <c>GET /cluster/qemu/cpu-flags</c> (9.1.15+): its QEMU name and the nodes whose KVM supports it.</summary>
internal sealed record ClusterCpuFlag(string Name, IReadOnlyList<string> SupportedOn)
{
    /// <summary>
    /// Largest answer read from <c>/cluster/qemu/cpu-flags</c>, on the wire and decompressed. A real answer is about
    /// 30 KB: every flag pve-qemu-kvm's recognized-CPUID-flags-x86_64 lists (321 with QEMU 10) plus
    /// <c>nested-virt</c>, each with the nodes that support it (qemu-server src/PVE/QemuServer/CPUFlags.pm
    /// query_available_cpu_flags, commit 4154e623). 4 MiB holds that list for a cluster of a thousand nodes.
    /// </summary>
    public const int MaxAnswerBytes = 4 * 1024 * 1024;

    /// <summary>Most flags read: three times what QEMU recognises today.</summary>
    public const int MaxFlags = 1024;

    /// <summary>Longest <c>supported-on</c> list read: more nodes than a Proxmox VE cluster has.</summary>
    public const int MaxSupportedOn = 1024;

    private const string Endpoint = "/cluster/qemu/cpu-flags";

    /// <summary>
    /// The whole answer: a list of <c>{name, description?, supported-on: [node...]}</c> (pve-manager
    /// PVE/API2/Cluster/Qemu/CPUFlags.pm, commit 6ed37d55), read token by token with no document built. Node names
    /// are kept once, however many lists name them. Anything else, or more than <see cref="MaxFlags"/> flags or
    /// <see cref="MaxSupportedOn"/> nodes for one flag, is a <see cref="ProxmoxShapeException"/>.
    /// </summary>
    internal static List<ClusterCpuFlag> ReadList(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ProxmoxShapeException($"CPU flags: expected a list, got {ProxmoxReader.Describe(reader.TokenType)}");
        }

        var nodeNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var list = new List<ClusterCpuFlag>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ProxmoxShapeException($"CPU flags: expected a list of objects, found {ProxmoxReader.Describe(reader.TokenType)}");
            }

            if (list.Count == MaxFlags)
            {
                throw new ProxmoxShapeException($"more than {MaxFlags} flags, the limit for {Endpoint}; refused");
            }

            list.Add(Read(ref reader, nodeNames));
        }

        return list;
    }

    /// <summary><see cref="ReadList(ref Utf8JsonReader)"/> over one JSON value (the <c>data</c> of the answer).</summary>
    internal static List<ClusterCpuFlag> ParseList(ReadOnlySpan<byte> data) => ProxmoxReader.ReadValue(data, ReadList);

    private static ClusterCpuFlag Read(ref Utf8JsonReader reader, Dictionary<string, string> nodeNames)
    {
        string? name = null;
        List<string>? nodes = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals("name"u8);
            var isSupportedOn = !isName && reader.ValueTextEquals("supported-on"u8);
            reader.Read();
            if (isName)
            {
                name = Scalar.Read(ref reader, "CPU flag entry").AsString;
            }
            else if (isSupportedOn)
            {
                nodes = ReadNodes(ref reader, name, nodeNames);
            }
            else
            {
                reader.Skip();
            }
        }

        return new(name ?? throw new ProxmoxShapeException("CPU flag entry has no \"name\""), nodes ?? []);
    }

    /// <summary>The nodes of one flag: a list of names (non-strings left out), or one string of names (older fakes, proxies).</summary>
    private static List<string>? ReadNodes(ref Utf8JsonReader reader, string? flag, Dictionary<string, string> nodeNames)
    {
        var nodes = new List<string>();
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (Scalar.Read(ref reader, "CPU flag entry").AsString is { } node)
                {
                    Add(nodes, node, flag, nodeNames);
                }
            }

            return nodes;
        }

        if (Scalar.Read(ref reader, "CPU flag entry") is { HasValue: true } scalar && scalar.AsString is { } text)
        {
            foreach (var node in text.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries))
            {
                Add(nodes, node, flag, nodeNames);
            }

            return nodes;
        }

        return null;
    }

    private static void Add(List<string> nodes, string node, string? flag, Dictionary<string, string> nodeNames)
    {
        if (nodes.Count == MaxSupportedOn)
        {
            throw new ProxmoxShapeException($"flag {flag ?? "(unnamed)"}: supported-on lists more than {MaxSupportedOn} nodes, the limit for {Endpoint}; refused");
        }

        if (!nodeNames.TryGetValue(node, out var known))
        {
            known = node;
            nodeNames.Add(node, node);
        }

        nodes.Add(known);
    }
}

/// <summary>One model of <c>GET /cluster/qemu/custom-cpu-models</c> (9.1.15+): the keys of its cpu-models.conf section.</summary>
public sealed record CustomCpuModelEntry(string Name, IReadOnlyList<KeyValuePair<string, string>> Properties)
{
    /// <summary>The digest of the whole cpu-models.conf, which Proxmox adds to every entry (for a later PUT).</summary>
    public string? Digest { get; init; }

    internal static CustomCpuModelEntry Parse(JsonElement item)
    {
        var name = item.GetStringLenient("cputype") ?? item.GetRequiredString("name", "custom CPU model entry");
        if (name.StartsWith("custom-", StringComparison.Ordinal))
        {
            name = name["custom-".Length..];
        }

        var properties = new List<KeyValuePair<string, string>>();
        foreach (var property in item.EnumerateObject())
        {
            if (property.Name is "cputype" or "name" or "digest")
            {
                continue;
            }

            if (ProxmoxJson.AsString(property.Value) is { } text)
            {
                properties.Add(new(property.Name, text));
            }
        }

        return new(name, properties) { Digest = item.GetStringLenient("digest") };
    }
}

/// <summary>
/// A VM's <c>GET .../pending</c> answer split the way the config file has it: the current values, the values
/// waiting in [PENDING], and the keys [PENDING] deletes (in the order Proxmox lists them).
/// </summary>
public sealed record PendingView(IReadOnlyDictionary<string, string> Current, IReadOnlyDictionary<string, string> Pending, IReadOnlyList<string> Deletes)
{
    public static PendingView From(IEnumerable<PendingEntry> entries)
    {
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new Dictionary<string, string>(StringComparer.Ordinal);
        var deletes = new List<string>();
        foreach (var entry in entries)
        {
            if (entry.Value is not null)
            {
                current[entry.Key] = entry.Value;
            }

            if (entry.Pending is not null)
            {
                pending[entry.Key] = entry.Pending;
            }

            if (entry.Delete)
            {
                deletes.Add(entry.Key);
            }
        }

        return new PendingView(current, pending, deletes);
    }
}
