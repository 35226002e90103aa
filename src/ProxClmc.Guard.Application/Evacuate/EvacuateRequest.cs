namespace ProxClmc.Guard.Application.Evacuate;

/// <summary><c>check --evacuate node [--target node]</c>: where can each VM of a node go before maintenance?</summary>
/// <param name="Node">The node about to be emptied.</param>
/// <param name="Target">Plan the evacuation onto this node only; null for every other node.</param>
public sealed record EvacuateRequest(string Node, string? Target = null);
