namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>What one exec gave: its output and stderr (null when over their caps), its exit status or signal.</summary>
internal sealed record SshExecResult(byte[]? Output, byte[]? Error, uint? ExitStatus, string? ExitSignal);
