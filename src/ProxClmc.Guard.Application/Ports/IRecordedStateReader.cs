namespace ProxClmc.Guard.Application.Ports;

/// <summary>Reads the state file the scans record (bounded, never written): a missing file is no state, a damaged one a problem.</summary>
public interface IRecordedStateReader
{
    /// <summary>The state at <paramref name="path"/>, whichever cluster recorded it.</summary>
    RecordedState Read(string path);
}
