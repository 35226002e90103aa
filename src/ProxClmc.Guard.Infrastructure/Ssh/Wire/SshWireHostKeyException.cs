namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>known_hosts does not trust the key the server presented; the caller words the message from its own check.</summary>
internal sealed class SshWireHostKeyException(string message) : SshWireException(message);
