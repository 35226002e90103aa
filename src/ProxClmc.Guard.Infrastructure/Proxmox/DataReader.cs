using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>Reads one JSON value (the reader stands on its first token) into a typed result.</summary>
internal delegate T DataReader<T>(ref Utf8JsonReader reader);
