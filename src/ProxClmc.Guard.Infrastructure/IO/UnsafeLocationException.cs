namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>A folder or file whose owner or mode lets other local users interfere: nothing is written or run.</summary>
public sealed class UnsafeLocationException(string message) : IOException(message);
