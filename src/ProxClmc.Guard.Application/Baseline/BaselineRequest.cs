namespace ProxClmc.Guard.Application.Baseline;

/// <summary><c>baseline</c>: the CPU type every node of the cluster can run.</summary>
/// <param name="AllowPartial"><c>--allow-partial</c>: a baseline of the nodes that could be read is a warning, not "could not determine".</param>
public sealed record BaselineRequest(bool AllowPartial);
