using ProxClmc.Guard.Application.History;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Infrastructure.History;

namespace ProxClmc.Guard.Composition;

/// <summary>The adapters of <c>history</c>.</summary>
internal static partial class CompositionRoot
{
    /// <summary>The <c>history</c> use case over the state file the scans record.</summary>
    public static HistoryReading History(CommandContext ctx) => new(ctx.Settings, new StateFileReader());

    private sealed class StateFileReader : IRecordedStateReader
    {
        public RecordedState Read(string path)
        {
            var read = ClusterStateFile.Read(path, clusterName: null, anyCluster: true);
            return new RecordedState(read.State, read.Problem);
        }
    }
}
