using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Ports;

namespace ProxClmc.Guard.Application.History;

/// <summary>
/// <c>history</c>: the changes of the cluster's CPU the scans recorded (the last
/// <see cref="Core.History.ClusterState.MaxHistory"/>), newest first. Reads the state file only; never writes it.
/// </summary>
public sealed class HistoryReading(RunSettings settings, IRecordedStateReader reader)
{
    public HistoryResult Read(HistoryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = request.StateFile is { Length: > 0 } given ? Path.GetFullPath(given)
            : settings.StateFile
            ?? throw new InvalidRequestException(settings.From is not null
                ? "history --from: a snapshot has no recorded state; give the state file with --state"
                : $"no state file: {settings.PveRoot} is not a Proxmox node's pmxcfs; set [history] state_file or give --state");

        var read = reader.Read(path);
        var changes = (read.State?.History ?? []).Where(c => request.Since is null || c.At >= request.Since).OrderByDescending(c => c.At).ToList();
        return new HistoryResult(path, request.Since, read.State?.RecordedAt, changes, read.State is not null, read.Problem);
    }
}
