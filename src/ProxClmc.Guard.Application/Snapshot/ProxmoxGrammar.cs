using System.Net;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Application.Snapshot;

/// <summary>
/// What the API may hand the snapshot writer, checked against Proxmox's own grammar before it becomes a line of a
/// file: a peer that answers with a newline in a key, a node name or an address must not add lines to the snapshot.
/// Grammar: config keys as PVE::QemuServer parses them (<c>[a-z][a-z_-]*\d*</c>), snapshot and custom model names as
/// <c>pve-configid</c>, node names as <c>pve-node</c> (a host name label), cluster names as pvecm allows.
/// </summary>
public static partial class ProxmoxGrammar
{
    public static string RequireConfigKey(string key) =>
        ConfigKeyRegex().IsMatch(key) ? key : throw Refuse($"config key '{Visible(key)}' is not a Proxmox config key");

    public static string RequireSectionName(string name) =>
        name is "PENDING" or "special:cloudinit" or "special:fleecing" || ConfigIdRegex().IsMatch(name)
            ? name
            : throw Refuse($"section name '{Visible(name)}' is not a Proxmox snapshot name");

    public static string RequireConfigId(string what, string name) =>
        ConfigIdRegex().IsMatch(name) ? name : throw Refuse($"{what} '{Visible(name)}' is not a Proxmox config id");

    /// <summary>A value on one line: no line breaks or other control characters (a tab is allowed).</summary>
    public static string RequireValue(string key, string value) =>
        value.Any(c => char.IsControl(c) && c != '\t') ? throw Refuse($"value of '{Visible(key)}' holds control characters ('{Visible(value)}')") : value;

    public static string RequireNodeName(string name) =>
        IsSafeNodeName(name) ? name : throw Refuse($"node name '{Visible(name)}' is not a Proxmox node name");

    public static string RequireClusterName(string name) =>
        ClusterNameRegex().IsMatch(name) ? name : throw Refuse($"cluster name '{Visible(name)}' is not a corosync cluster name");

    public static string RequireAddress(string node, string address) =>
        IPAddress.TryParse(address, out _) || HostNameRegex().IsMatch(address)
            ? address
            : throw Refuse($"address '{Visible(address)}' of node {Visible(node)} is neither an IP address nor a host name");

    public static string RequireFlag(string flag) =>
        FlagRegex().IsMatch(flag) ? flag : throw Refuse($"CPU flag '{Visible(flag)}' is not a /proc/cpuinfo flag name");

    /// <summary>Control characters shown as \xNN, so a hostile name cannot drive the terminal that prints the error.</summary>
    public static string Visible(string text) => VisibleText.Of(text);

    /// <summary>A node name is safe as one path segment: what corosync and pmxcfs allow, never '/', '..' or a control character.</summary>
    public static bool IsSafeNodeName(string name) =>
        name.Length is > 0 and <= 255 && name != "." && name != ".." && !name.StartsWith('.')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static SnapshotPathException Refuse(string message) => new(message + "; not written");

    [GeneratedRegex(@"^[a-z][a-z_\-]*\d*$")]
    private static partial Regex ConfigKeyRegex();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_\-]+$")]
    private static partial Regex ConfigIdRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_\-.]{1,64}$")]
    private static partial Regex ClusterNameRegex();

    [GeneratedRegex(@"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex HostNameRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,64}$")]
    private static partial Regex FlagRegex();
}
