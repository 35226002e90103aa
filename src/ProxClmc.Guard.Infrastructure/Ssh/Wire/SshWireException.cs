namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>The peer broke the SSH protocol, failed a cryptographic check or disconnected; the message is one line for the user.</summary>
internal class SshWireException(string message) : Exception(message);
