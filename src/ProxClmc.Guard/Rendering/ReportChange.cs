namespace ProxClmc.Guard.Rendering;

/// <summary>
/// One change since the last scan, as the HTML page lists it: when it was seen, what kind of change
/// ("node", "baseline", "verdict", ...), what it is about (a node name, a VM id) and one line saying what changed.
/// </summary>
internal sealed record ReportChange(DateTimeOffset? At, string Kind, string Subject, string Text);
