using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Pipeline;
using Serilog;

namespace ProxClmc.Guard.Cli;

/// <summary>What a verb gets: the environment, the effective settings, a logger, and the pipeline over the chosen sources.</summary>
public sealed class CommandContext(CliEnvironment environment, RunSettings settings, ILogger logger, ISourceFactory sourceFactory, bool logVerdicts) : IDisposable
{
    private ClusterSources? _sources;
    private readonly List<ClusterSources> _otherSources = [];

    public CliEnvironment Environment => environment;

    public RunSettings Settings => settings;

    public ILogger Log => logger;

    /// <summary>True when each unsafe guest should also be logged (journal target, or -v): tables already show them otherwise.</summary>
    public bool LogVerdicts => logVerdicts;

    public TextWriter Out => environment.Out;

    /// <summary>The width every table fits (<see cref="Rendering.TableWidth"/>).</summary>
    public int Width => environment.OutputWidth ?? Rendering.TableWidth.ForConsole();

    /// <summary>A table row written as one line, fitted to <see cref="Width"/> (whole with -v).</summary>
    public void WriteRow(string line) => Out.WriteLine(Rendering.TableWidth.Fit(Rendering.Names.Visible(line), Width, !settings.Verbose));

    public ClusterSources Sources => _sources ??= CreateSources();

    /// <summary>
    /// An outcome that is not an error (unsafe guests, a partial answer, nothing that could be determined): one line
    /// on stderr saying why, as every failure is reported, and the exit code the command returns.
    /// </summary>
    public int Exit(int exitCode, string message)
    {
        // Messages quote names from configs, snapshots and the API: their control characters are shown, not obeyed.
        environment.Error.WriteLine($"proxclmc-guard: {Rendering.Names.Visible(message)}");
        return exitCode;
    }

    public void Dispose()
    {
        _sources?.Dispose();
        _otherSources.ForEach(s => s.Dispose());
    }

    /// <summary>
    /// The pipeline over another cluster (<c>--to-cluster</c>): the same source construction as this cluster's, from
    /// that cluster's settings (<see cref="Application.ToCluster.RemoteCluster.Resolve"/>); its sources are released with this context.
    /// </summary>
    public GuardPipeline CreatePipelineFor(RunSettings other)
    {
        var sources = sourceFactory.Create(other);
        _otherSources.Add(sources);
        foreach (var warning in sources.Warnings)
        {
            logger.Warning("{Warning}", warning);
        }

        return new(other, sources, CpuCatalog.Default, environment.Clock, ReadAssumedCpuInfo)
        {
            Warn = warning => logger.Warning("{Warning}", warning),
            Debug = note => logger.Debug("{Note}", note),
        };
    }

    private ClusterSources CreateSources()
    {
        var sources = sourceFactory.Create(settings);
        foreach (var warning in sources.Warnings)
        {
            logger.Warning("{Warning}", warning);
        }

        return sources;
    }

    public GuardPipeline CreatePipeline(RunSettings? overrides = null) =>
        new(overrides ?? settings, Sources, CpuCatalog.Default, environment.Clock, ReadAssumedCpuInfo)
        {
            Warn = warning => logger.Warning("{Warning}", warning),
            Debug = note => logger.Debug("{Note}", note),
        };

    /// <summary>An --assume-node file the administrator named: one they cannot read is a usage error (64).</summary>
    private string ReadAssumedCpuInfo(string path)
    {
        try
        {
            return environment.FileSystem.ReadAllText(path, Infrastructure.IO.FileLimits.ForCpuInfo);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The path first, then why in our words ("is a FIFO, not a regular file"), never "input/output error (...)".
            throw new UsageException(e is FileNotFoundException or DirectoryNotFoundException ? $"--assume-node: no such file ({path})" : $"--assume-node {path}: cannot read it ({IoErrors.Reason(e)})");
        }
    }
}
