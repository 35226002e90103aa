namespace ProxClmc.Guard.Core.Sources;

/// <summary>
/// Something outside the tool could not be reached or answered wrongly (node down, API error, TLS refused): exit 3.
/// The message is one line saying what failed and, where possible, how to fix it.
/// </summary>
public sealed class SourceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
