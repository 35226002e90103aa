using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Catalog;

namespace ProxClmc.Guard.Cli;

/// <summary>Builds the effective <see cref="RunSettings"/>: the configuration file, then the command line's overrides.</summary>
internal static class SettingsLoader
{
    public static RunSettings Load(CliEnvironment environment, ParseResult parse, GlobalOptions global)
    {
        var explicitPath = parse.GetValue(global.Config);
        var config = GuardConfigLoader.LoadFile(explicitPath, isKnownModel: name => CpuCatalog.Default.TryGetModel(name, out _))
            .WithLocalNodeDefault(environment.HostName());
        return ApplyCommandLine(FromConfig(config, explicitPath ?? (File.Exists(GuardConfig.DefaultPath) ? GuardConfig.DefaultPath : null)), parse, global);
    }

    /// <summary>The configuration file's view of a run, before the command line's overrides.</summary>
    public static RunSettings FromConfig(GuardConfig config, string? path) => new()
    {
        Config = config,
        ConfigPath = path,
        CorosyncConf = config.Cluster.CorosyncConfCandidates,
        PveRoot = config.Cluster.PveRoot,
        LocalNode = config.Cluster.LocalNode,
        FactsSource = config.Facts.Source,
        LocalCpuInfo = config.Facts.LocalCpuinfo,
        QemuBinary = config.Facts.QemuBinary,
        CacheFile = config.Facts.CacheFile,
        CacheMaxAge = config.Facts.MaxAge,
        Policy = config.ToPolicy(),
        HookBlockUnsafeStart = config.Hook.BlockUnsafeStart,
        HookFailClosed = config.Hook.FailClosed,
        HookChain = config.Hook.Chain,
        HookAllowForeignHostCpu = config.Hook.AllowForeignHostCpu,
        HasApi = config.Api.HasCredentials,
        StateFile = config.History.StateFile ?? DefaultStateFile(config.Cluster.PveRoot),
    };

    /// <summary>
    /// &lt;pve_root&gt;/proxclmc-guard/state.json where pve_root is a node's pmxcfs (it always holds nodes/); elsewhere
    /// (a machine that only talks to the API) no state unless [history] state_file or --state names one.
    /// </summary>
    public static string? DefaultStateFile(string pveRoot) =>
        Directory.Exists(Path.Combine(pveRoot, "nodes")) ? Path.Combine(pveRoot, "proxclmc-guard", "state.json") : null;

    public static RunSettings ApplyCommandLine(RunSettings settings, ParseResult parse, GlobalOptions global)
    {
        var format = parse.GetValue(global.Format);
        var outputFormat = format switch
        {
            null or "table" => OutputFormat.Table,
            "json" => OutputFormat.Json,
            "prometheus" => OutputFormat.Prometheus,
            "html" => OutputFormat.Html,
            _ => throw new UsageException($"--format {format}: expected table, json, prometheus or html"),
        };
        if (outputFormat == OutputFormat.Html && VerbOf(parse) is var verb && verb != "scan")
        {
            throw new UsageException($"{verb} --format html: only scan has a page (scan --format html, or [report] html_file)");
        }

        var assumed = (parse.GetValue(global.AssumeNode) ?? []).Select(ParseAssumed).ToList();
        var without = (parse.GetValue(global.WithoutNode) ?? []).ToList();
        foreach (var name in without.Where(n => assumed.Any(a => a.Name == n)))
        {
            throw new UsageException($"--without-node {name} and --assume-node {name}=... contradict each other");
        }

        return settings with
        {
            From = parse.GetValue(global.From) ?? settings.From,

            // A --from run judges a copy: it records no state unless scan --state names one.
            StateFile = parse.GetValue(global.From) is null && settings.From is null ? settings.StateFile : null,
            Format = outputFormat,
            AssumeNodes = assumed,
            WithoutNodes = without,
            AllowPartial = parse.GetValue(global.AllowPartial) || settings.AllowPartial,
            Verbose = parse.GetValue(global.Verbose),
        };
    }

    /// <summary>The verb as typed ("scan", "hook attach"), without the program's name.</summary>
    private static string VerbOf(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null && result.Parent is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        return string.Join(' ', names);
    }

    private static AssumedNode ParseAssumed(string value)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == value.Length - 1)
        {
            throw new UsageException($"--assume-node {value}: expected <name>=<cpuinfo file>, e.g. pve5=/root/pve5-cpuinfo");
        }

        return new AssumedNode(value[..eq], value[(eq + 1)..]);
    }
}
