namespace ProxClmc.Guard.Infrastructure.Ssh;

/// <summary>
/// The <c>[ssh]</c> section: how nodes are reached for their <c>/proc/cpuinfo</c>.
/// Defaults follow a Proxmox node: root's cluster key and the cluster-wide known_hosts that <c>pvecm updatecerts</c> maintains.
/// </summary>
public sealed record SshOptions
{
    /// <summary>The node-name placeholder in <see cref="KnownHostsFiles"/> entries.</summary>
    public const string NodePlaceholder = "{node}";

    public string User { get; init; } = "root";

    public int Port { get; init; } = 22;

    /// <summary>
    /// The private key (OpenSSH or PEM format, ed25519, RSA or ECDSA, without passphrase). Null: every one of
    /// <see cref="DefaultIdentityFiles"/> that exists is offered, RSA first because that is the key Proxmox's
    /// cluster join distributes to every node's authorized_keys.
    /// </summary>
    public string? IdentityFile { get; init; }

    /// <summary>
    /// known_hosts files, tried together; <c>{node}</c> is replaced by the node's name and <c>~/</c> by the home directory.
    /// Files that do not exist are skipped (Proxmox VE 8.1 moved each node's key to its own ssh_known_hosts).
    /// </summary>
    public IReadOnlyList<string> KnownHostsFiles { get; init; } = DefaultKnownHostsFiles;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The default of <see cref="Parallelism"/>: a whole cluster of up to 64 nodes in one wave.</summary>
    public const int DefaultParallelism = 64;

    /// <summary>How many nodes are read at the same time.</summary>
    public int Parallelism { get; init; } = DefaultParallelism;

    public static IReadOnlyList<string> DefaultKnownHostsFiles { get; } =
    [
        "/etc/pve/priv/known_hosts",
        "/etc/pve/nodes/{node}/ssh_known_hosts",
        "~/.ssh/known_hosts",
    ];

    public static IReadOnlyList<string> DefaultIdentityFiles { get; } =
    [
        "~/.ssh/id_rsa",
        "~/.ssh/id_ed25519",
        "~/.ssh/id_ecdsa",
    ];

    /// <summary>The known_hosts files for one node, with placeholders and <c>~</c> expanded, in order.</summary>
    public IReadOnlyList<string> KnownHostsFilesFor(string node, string? home = null)
    {
        var result = new List<string>();
        foreach (var pattern in KnownHostsFiles)
        {
            if (pattern.Contains(NodePlaceholder, StringComparison.Ordinal))
            {
                // A node name is a host name; anything that could climb out of the node's folder is not used as a path.
                if (!IsSafePathSegment(node))
                {
                    continue;
                }

                result.Add(ExpandHome(pattern.Replace(NodePlaceholder, node, StringComparison.Ordinal), home));
            }
            else
            {
                result.Add(ExpandHome(pattern, home));
            }
        }

        return result;
    }

    public static string ExpandHome(string path, string? home = null)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            home ??= Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : "/root";
            return path == "~" ? home : Path.Combine(home, path[2..]);
        }

        return path;
    }

    private static bool IsSafePathSegment(string name) =>
        name.Length > 0 && name != "." && name != ".." && name.IndexOfAny(['/', '\0']) < 0;
}
