namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>The answer had valid JSON but not the shape the endpoint documents.</summary>
internal sealed class ProxmoxShapeException(string message) : Exception(message);
