using System.Globalization;

namespace ProxClmc.Guard.Benchmarks;

/// <summary>What <c>scale</c> runs: the parameters of README "Measured speed" by default, a small cluster with <c>--smoke</c>.</summary>
public sealed record ScaleOptions
{
    public const string Usage = "scale [--smoke] [--nodes N] [--vms N] [--latency-ms N] [--ssh-nodes N] [--ssh-delay-ms N] [--parallelism N] [--ssh-parallelism N] [--runs N] [--kill-after S] [--in-process] [--cli PATH] [--aot PATH] [--proxclmc PATH] [--instructions] [--profile-dir DIR] [--cases in-process,api,table,ssh,hook] [--format table|json]";

    public int Nodes { get; init; } = 64;

    public int Vms { get; init; } = 10_000;

    public int LatencyMs { get; init; } = 2;

    public int SshNodes { get; init; } = 32;

    public int SshDelayMs { get; init; } = 200;

    /// <summary>[api] parallelism; null keeps the tool's default.</summary>
    public int? Parallelism { get; init; }

    /// <summary>[ssh] parallelism; null keeps the tool's default (what users get).</summary>
    public int? SshParallelism { get; init; }

    /// <summary>A run of the SSH comparison still going after this long is killed (ProxCLMC waits forever on a silent node).</summary>
    public TimeSpan KillAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often each short run (one SSH node, one hook decision, --version) is repeated; the median counts.</summary>
    public int Runs { get; init; } = 7;

    public bool Smoke { get; init; }

    /// <summary>Run the CLI (and the fake Proxmox) inside this process instead of as children: no per-process CPU, RSS is the harness's.</summary>
    public bool InProcess { get; init; }

    /// <summary>The proxclmc-guard binary to run as a child; default: the Release build in the repository.</summary>
    public string? CliPath { get; init; }

    /// <summary>The NativeAOT binary for the SSH, hook and --version rows; default: artifacts/aot/proxclmc-guard when it exists.</summary>
    public string? AotPath { get; init; }

    /// <summary>A ProxCLMC binary built elsewhere: run side by side on the same sshd nodes.</summary>
    public string? ProxClmcPath { get; init; }

    /// <summary>Also count instructions (valgrind's callgrind) of --version and one hook decision: a ratio that load does not move.</summary>
    public bool Instructions { get; init; }

    /// <summary>Keep the callgrind profiles (--version, one hook decision, baseline over SSH of one node) in this folder; implies <see cref="Instructions"/>.</summary>
    public string? ProfileDir { get; init; }

    /// <summary>Which groups of cases run (default: all): in-process, api, table, ssh, hook.</summary>
    public IReadOnlySet<string> Cases { get; init; } = new HashSet<string>(AllCases);

    public static readonly string[] AllCases = ["in-process", "api", "table", "ssh", "hook"];

    /// <summary>"table" (default) or "json": one object per case.</summary>
    public string Format { get; init; } = "table";

    public static ScaleOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ScaleOptions();
        if (args.Contains("--smoke"))
        {
            options = options with { Smoke = true, Nodes = 8, Vms = 1000, SshNodes = 4, Runs = 1 };
        }

        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt() => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ArgumentException($"{args[i - 1]} needs a whole number, got '{args[i]}'");
            options = args[i] switch
            {
                "--smoke" => options,
                "--nodes" => options with { Nodes = Math.Max(1, NextInt()) },
                "--vms" => options with { Vms = NextInt() },
                "--latency-ms" => options with { LatencyMs = NextInt() },
                "--ssh-nodes" => options with { SshNodes = NextInt() },
                "--ssh-delay-ms" => options with { SshDelayMs = NextInt() },
                "--parallelism" => options with { Parallelism = Math.Max(1, NextInt()) },
                "--ssh-parallelism" => options with { SshParallelism = Math.Max(1, NextInt()) },
                "--kill-after" => options with { KillAfter = TimeSpan.FromSeconds(Math.Max(1, NextInt())) },
                "--runs" => options with { Runs = Math.Max(1, NextInt()) },
                "--in-process" => options with { InProcess = true },
                "--cli" => options with { CliPath = Next() },
                "--aot" => options with { AotPath = Path.GetFullPath(Next()) },
                "--proxclmc" => options with { ProxClmcPath = Path.GetFullPath(Next()) },
                "--instructions" => options with { Instructions = true },
                "--cases" => options with
                {
                    Cases = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is var cases && cases.All(AllCases.Contains)
                        ? cases.ToHashSet()
                        : throw new ArgumentException($"--cases: a comma-separated list of {string.Join(", ", AllCases)}, got '{args[i]}'"),
                },
                "--profile-dir" => options with { ProfileDir = Path.GetFullPath(Next()), Instructions = true },
                "--format" => options with
                {
                    Format = Next() is "table" or "json" ? args[i] : throw new ArgumentException($"--format: table or json, got '{args[i]}'"),
                },
                _ => throw new ArgumentException($"unknown option '{args[i]}' ({Usage})"),
            };
        }

        return options;
    }
}
