using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

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
