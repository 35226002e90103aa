namespace ProxClmc.Guard.Core.Sources;

/// <summary>The cluster's cpu-models.conf as a writer sees it: its digest (empty when it cannot be known) and its text.</summary>
public sealed record CustomModelsFile(string Digest, string Text);
