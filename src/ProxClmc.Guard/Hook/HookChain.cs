using System.Text.RegularExpressions;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Hook;

/// <summary>
/// <c>[hook] chain</c>: the hookscript a VM had before ours, run after the check. A snippet volume
/// (<c>local:snippets/old-hook.pl</c>) is resolved to its file the way Proxmox does, and the file must be one only
/// root can change, because root runs it in every VM start.
/// </summary>
internal static partial class HookChain
{
    private const int MaxStorageCfgBytes = 1024 * 1024;

    /// <summary>
    /// The chained hookscript, opened to be run as that very file (<see cref="TrustedExecutable"/>). Throws
    /// <see cref="GuardConfigurationException"/> (exit 78) naming <c>hook.chain</c> when the volume cannot be resolved,
    /// or the file (or a folder above it) is a symbolic link, is not owned by root or is writable by group or others.
    /// </summary>
    public static TrustedExecutable Resolve(string chain, string pveRoot, IFileSystem fileSystem)
    {
        string path;
        if (chain.StartsWith('/'))
        {
            path = chain;
        }
        else
        {
            var match = VolumeRegex().Match(chain);
            if (!match.Success)
            {
                throw new GuardConfigurationException($"hook.chain {chain}: not an absolute path or a snippet volume such as 'local:snippets/hook.pl'");
            }

            var storageCfg = Path.Combine(pveRoot, "storage.cfg");
            var text = fileSystem.FileExists(storageCfg) ? fileSystem.ReadAllText(storageCfg, MaxStorageCfgBytes) : "";
            path = SnippetPath(match.Groups["storage"].Value, match.Groups["file"].Value, text)
                ?? throw new GuardConfigurationException(
                    $"hook.chain {chain}: storage '{match.Groups["storage"].Value}' is not a directory storage in {storageCfg}; give the hookscript's absolute path instead");
        }

        if (!Path.IsPathFullyQualified(path))
        {
            throw new GuardConfigurationException($"hook.chain {chain}: resolves to '{path}', not an absolute path");
        }

        try
        {
            return TrustedExecutable.Open(path);
        }
        catch (IOException e)
        {
            throw new GuardConfigurationException($"hook.chain {chain}: {e.Message}; root runs it in every VM start, so it must be owned by root and writable by root only");
        }
    }

    /// <summary>
    /// The file behind <c>&lt;storage&gt;:snippets/&lt;file&gt;</c>, or null when the storage has no path.
    /// Follows pve-storage (github.com/proxmox/pve-storage, src/PVE/Storage/Plugin.pm at 0c56bad8, July 2026):
    /// storage.cfg is a section file, a header <c>&lt;type&gt;: &lt;storage id&gt;</c> at the start of a line and
    /// indented <c>key value</c> lines after it; a volume's file is <c>path</c> + '/' + the content type's folder,
    /// which is <c>snippets</c> unless <c>content-dirs</c> (<c>snippets=&lt;dir&gt;</c>, list split on ',' ';' or
    /// blanks) overrides it (<c>get_subdir</c>); and <c>local</c> is always forced to a <c>dir</c> storage at
    /// /var/lib/vz, also when storage.cfg is missing (<c>parse_config</c>).
    /// </summary>
    public static string? SnippetPath(string storage, string file, string storageCfg)
    {
        string? type = null;
        string? path = null;
        string? snippetsDir = null;
        var inSection = false;
        foreach (var rawLine in storageCfg.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (!char.IsWhiteSpace(line[0]))
            {
                var header = HeaderRegex().Match(line);
                inSection = header.Success && header.Groups["id"].Value == storage;
                if (inSection)
                {
                    type = header.Groups["type"].Value.ToLowerInvariant();
                }

                continue;
            }

            var property = PropertyRegex().Match(line);
            if (!inSection || !property.Success)
            {
                continue;
            }

            var value = property.Groups["value"].Value;
            switch (property.Groups["key"].Value)
            {
                case "path":
                    path = value;
                    break;
                case "content-dirs":
                    foreach (var entry in value.Split([',', ';', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                    {
                        var eq = entry.IndexOf('=', StringComparison.Ordinal);
                        if (eq > 0 && entry[..eq] == "snippets")
                        {
                            snippetsDir = entry[(eq + 1)..];
                        }
                    }

                    break;
            }
        }

        if (storage == "local" && (type != "dir" || (path is not null && path != "/var/lib/vz")))
        {
            // Proxmox replaces a missing or different 'local' with its built-in definition (content-dirs included).
            path = "/var/lib/vz";
            snippetsDir = null;
        }

        path ??= storage == "local" ? "/var/lib/vz" : null;
        return string.IsNullOrEmpty(path) ? null : $"{path.TrimEnd('/')}/{(snippetsDir ?? "snippets").Trim('/')}/{file}";
    }

    [GeneratedRegex(@"^(?<storage>[A-Za-z][A-Za-z0-9\-_.]*):snippets/(?<file>[^/\s]+)$")]
    private static partial Regex VolumeRegex();

    [GeneratedRegex(@"^(?<type>\S+):\s*(?<id>\S+)\s*$")]
    private static partial Regex HeaderRegex();

    [GeneratedRegex(@"^\s+(?<key>\S+)(\s+(?<value>.*\S))?\s*$")]
    private static partial Regex PropertyRegex();
}
