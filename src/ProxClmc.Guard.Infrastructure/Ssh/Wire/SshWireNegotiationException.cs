namespace ProxClmc.Guard.Infrastructure.Ssh.Wire;

/// <summary>
/// The server and this client share no algorithm of some kind (or the server asks for something this client does not do,
/// such as a guessed key exchange): the connection may be retried with the general client.
/// </summary>
internal sealed class SshWireNegotiationException(string message) : SshWireException(message);
