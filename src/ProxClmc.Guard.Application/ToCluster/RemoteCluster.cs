using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Application.ToCluster;

/// <summary>
/// <c>--to-cluster REMOTE</c>: the settings that read another cluster through the same sources as this one. REMOTE
/// is the name of a <c>[remote.&lt;name&gt;]</c> section, a snapshot folder (or a copy of that cluster's
/// <c>/etc/pve</c>), or a proxclmc-guard.toml describing that cluster by its <c>[api]</c> or its <c>pve_root</c>.
/// The remote is judged with this run's policy, timeouts and <c>--allow-partial</c>. <c>loadConfigFile</c>
/// reads such a file as the command line reads its own (errors name file, line and column).
/// </summary>
public static class RemoteCluster
{
    public static RunSettings Resolve(string remote, RunSettings local, IFileStore fileSystem, Func<string, GuardConfig> loadConfigFile)
    {
        if (local.Config.FindRemote(remote) is { } section)
        {
            return FromSection(section, local);
        }

        if (fileSystem.DirectoryExists(remote))
        {
            return Remote(local, Name(remote, isFile: false)) with { From = remote };
        }

        if (fileSystem.FileExists(remote))
        {
            return FromConfigFile(remote, local, loadConfigFile);
        }

        var known = local.Config.Remotes.Count == 0 ? "no [remote.<name>] sections are configured" : "configured remotes: " + string.Join(", ", local.Config.Remotes.Select(r => r.Name).Order(StringComparer.Ordinal));
        throw new InvalidRequestException($"--to-cluster {remote}: no such snapshot folder, configuration file or [remote.{remote}] section ({known})");
    }

    private static RunSettings FromSection(RemoteSettings section, RunSettings local)
    {
        if ((section.From ?? section.PveRoot) is { } folder)
        {
            return Remote(local, section.Name) with { From = folder };
        }

        // The remote's own CA or pin, this run's timeouts, proxy and parallelism.
        var api = local.Config.Api with
        {
            Urls = section.Urls,
            TokenId = section.TokenId,
            TokenSecretFile = section.TokenSecretFile,
            Username = null,
            PasswordFile = null,
            CaFile = section.CaFile ?? "",
            Fingerprint = section.Fingerprint,
            InsecureSkipVerify = false,
        };
        return Remote(local, section.Name) with
        {
            Config = local.Config with { Api = api },
            FactsSource = FactsSourceMode.Api,
            HasApi = true,
        };
    }

    private static RunSettings FromConfigFile(string path, RunSettings local, Func<string, GuardConfig> loadConfigFile)
    {
        var config = loadConfigFile(path);
        var name = Name(path, isFile: true);
        if (config.Api.HasCredentials)
        {
            return Remote(local, name) with
            {
                // Nodes, CPUs (cpuinfo and Proxmox's KVM flags) and custom models through that cluster's API.
                Config = local.Config with { Api = config.Api },
                FactsSource = FactsSourceMode.Api,
                HasApi = true,
            };
        }

        if (config.Cluster.PveRoot != GuardConfig.Default.Cluster.PveRoot)
        {
            return Remote(local, name) with { From = config.Cluster.PveRoot };
        }

        throw new GuardConfigurationException($"{path}: --to-cluster needs a file that describes the other cluster: [api] url with token_id and token_secret_file, or [cluster] pve_root (this host's own /etc/pve is this cluster)");
    }

    /// <summary>This run's view (policy, partial answers, format), with nothing of this host standing in for the remote's nodes.</summary>
    private static RunSettings Remote(RunSettings local, string name) => local with
    {
        From = null,
        IsRemote = true,
        RemoteName = name,
        LocalNode = null,
        FactsSource = FactsSourceMode.Api,
        CacheFile = null,
        // This cluster's recorded CPU state is never compared with, or replaced by, another cluster's.
        StateFile = null,
        HasApi = false,
        AssumeNodes = [],
        WithoutNodes = [],
    };

    private static string Name(string path, bool isFile)
    {
        var name = Path.GetFileName(path.TrimEnd('/'));
        var stem = isFile ? Path.GetFileNameWithoutExtension(name) : name;
        return string.IsNullOrEmpty(stem) ? path : stem;
    }
}
