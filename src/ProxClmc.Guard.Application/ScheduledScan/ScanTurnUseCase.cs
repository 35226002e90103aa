using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Application.Scanning;
using ProxClmc.Guard.Core.Sources;
using Serilog;

namespace ProxClmc.Guard.Application.ScheduledScan;

/// <summary>
/// The timer's scan: one scanner per cluster. The timer runs on every node; the cluster-wide scan runs only on the
/// node whose turn it is (<see cref="IClusterLock.TakeTurn"/>), bounded by the lock's limit, and is recorded for the
/// period only when it reached an answer, so a node that cannot read the cluster leaves the turn to the others.
/// </summary>
public sealed class ScanTurnUseCase(IMembershipSource membership, IClusterLock clusterLock, ScanUseCase scan, ILogger log)
{
    public async Task<ScanTurnResult> RunAsync(ScanTurnRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var members = await membership.GetMembershipAsync(cancellationToken).ConfigureAwait(false);
        var turn = clusterLock.TakeTurn(request.LocalNode, members, request.Period);
        if (!turn.Mine)
        {
            log.Debug("Not scanning on {Node}: {Reason}", request.LocalNode, turn.Reason);
            return new ScanTurnResult(false, turn.Reason);
        }

        log.Debug("Scanning on {Node}: {Reason}", request.LocalNode, turn.Reason);
        var answered = false;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, turn.Bound);
        try
        {
            var found = await scan.RunAsync(request.Scan with { HoldsLock = turn.Finish is not null }, bounded.Token).ConfigureAwait(false);
            answered = found.Outcome != ScanOutcome.CouldNotDetermine;
            return new ScanTurnResult(true, turn.Reason) { Scan = found };
        }
        catch (OperationCanceledException) when (turn.Bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // As Proxmox's cfs_lock stops its locked commands: the lock's holder must let go before others may take it.
            return new ScanTurnResult(true, turn.Reason) { StoppedAfter = turn.Limit };
        }
        finally
        {
            if (turn.Finish?.Invoke(answered) is { } lost)
            {
                log.Warning("{Warning}", lost);
            }
        }
    }
}
