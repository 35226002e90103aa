namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>An API answer over the size limits (or in an encoding not asked for): the request fails with this message.</summary>
internal sealed class AnswerTooLargeException(string message) : IOException(message);
