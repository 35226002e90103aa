namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>The server refused every offered key.</summary>
internal sealed class SshWireAuthenticationException(string message) : SshWireException(message);
