namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// One rule or group a placement fix writes, appended to <c>&lt;plan-id&gt;.placement.jsonl</c> before the write.
/// <see cref="Written"/> is null on that record, and false on a second record that follows a write which was refused
/// (the HA configuration changed since the plan) or failed: that attempt left nothing to undo.
/// </summary>
public sealed record PlacementUndoRecord(int VmId, string Sid, bool IsRule, string Id, IReadOnlyList<string> Nodes, bool? Written = null)
{
    public string What => $"{(IsRule ? "rule" : "group")} '{Id}'";
}
