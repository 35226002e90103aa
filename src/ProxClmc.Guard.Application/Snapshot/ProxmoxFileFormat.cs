using System.Globalization;
using System.Text;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Application.Snapshot;

/// <summary>Files of /etc/pve rebuilt from what the API returns, in the byte layout pmxcfs would hold.</summary>
public static class ProxmoxFileFormat
{
    /// <summary>
    /// PVE::QemuServer::write_vm_config: per section, the description as percent-encoded <c>#</c> lines first, then
    /// the keys sorted; [PENDING] carries pending values and <c>delete:</c>; each snapshot is a <c>[name]</c> section.
    /// </summary>
    public static string VmConfig(IReadOnlyList<ConfigSection> sections)
    {
        var text = new StringBuilder();
        foreach (var section in sections)
        {
            if (section.Header is { } header)
            {
                ProxmoxGrammar.RequireSectionName(header);
                text.Append('\n').Append('[').Append(header).Append("]\n");
            }

            if (section.Values.TryGetValue("description", out var description))
            {
                foreach (var line in description.TrimEnd('\n').Split('\n'))
                {
                    text.Append('#').Append(EncodeText(line)).Append('\n');
                }
            }

            foreach (var (key, value) in section.Values.Where(v => v.Key is not ("description" or "digest")).OrderBy(v => v.Key, StringComparer.Ordinal))
            {
                // Only the description may span lines (it is percent-encoded above); anything else would change the
                // file's line structure, so a key or value outside Proxmox's grammar refuses the whole config.
                text.Append(ProxmoxGrammar.RequireConfigKey(key)).Append(": ").Append(ProxmoxGrammar.RequireValue(key, value)).Append('\n');
            }

            if (section.Deletes is { Count: > 0 } deletes)
            {
                foreach (var delete in deletes)
                {
                    ProxmoxGrammar.RequireConfigKey(delete);
                }

                text.Append("delete: ").Append(string.Join(',', deletes)).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>corosync.conf with what /cluster/status shows (name, nodeid, ring0_addr), enough for the membership.</summary>
    public static string CorosyncConf(ClusterMembership membership)
    {
        var text = new StringBuilder("# written by proxclmc-guard snapshot from the Proxmox API's /cluster/status\n\nnodelist {\n");
        foreach (var node in membership.Nodes)
        {
            text.Append("  node {\n    name: ").Append(ProxmoxGrammar.RequireNodeName(node.Name)).Append('\n');
            if (node.NodeId is { } id)
            {
                text.Append("    nodeid: ").Append(id.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            text.Append("    quorum_votes: 1\n");
            foreach (var link in node.Links)
            {
                text.Append("    ring").Append(link.Number.ToString(CultureInfo.InvariantCulture)).Append("_addr: ").Append(ProxmoxGrammar.RequireAddress(node.Name, link.Address)).Append('\n');
            }

            text.Append("  }\n");
        }

        text.Append("}\n\nquorum {\n  provider: corosync_votequorum\n}\n\ntotem {\n");
        text.Append("  cluster_name: ").Append(ProxmoxGrammar.RequireClusterName(membership.ClusterName ?? "snapshot")).Append('\n');
        return text.Append("  config_version: 1\n  version: 2\n}\n").ToString();
    }

    /// <summary>
    /// A /proc/cpuinfo block from facts that came without the raw file (the API's node status): only what the facts
    /// hold, so a later parse gives the same vendor, model name and flags, and no invented family or address sizes.
    /// </summary>
    public static string CpuInfo(CpuInfo cpu)
    {
        var text = new StringBuilder();
        text.Append("processor\t: 0\n");
        text.Append("vendor_id\t: ").Append(ProxmoxGrammar.RequireValue("vendor_id", cpu.VendorId)).Append('\n');
        if (cpu.Family is { } family)
        {
            text.Append("cpu family\t: ").Append(family.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        if (cpu.Model is { } model)
        {
            text.Append("model\t\t: ").Append(model.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("model name\t: ").Append(ProxmoxGrammar.RequireValue("model name", cpu.ModelName)).Append('\n');
        if (cpu.Stepping is { } stepping)
        {
            text.Append("stepping\t: ").Append(stepping.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("flags\t\t: ").Append(string.Join(' ', cpu.Flags.Select(ProxmoxGrammar.RequireFlag).Order(StringComparer.Ordinal))).Append('\n');
        text.Append("bugs\t\t: ").Append(string.Join(' ', cpu.Bugs.Select(ProxmoxGrammar.RequireFlag).Order(StringComparer.Ordinal))).Append('\n');
        if (cpu.PhysicalAddressBits is { } bits)
        {
            text.Append("address sizes\t: ").Append(bits.ToString(CultureInfo.InvariantCulture)).Append(" bits physical, 48 bits virtual\n");
        }

        // The kernel prints this line last in every block; the parser takes a block without it as cut off.
        return text.Append("power management:\n\n").ToString();
    }

    /// <summary>PVE::Tools::encode_text: everything but unreserved characters and spaces as %XX of its UTF-8 bytes.</summary>
    public static string EncodeText(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is ' ' or '-' or '_' or '.' or '!' or '~' or '*' or '\'' or '(' or ')' or ':' or ',' or '/')
            {
                result.Append(c);
            }
            else
            {
                result.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return result.ToString();
    }
}
