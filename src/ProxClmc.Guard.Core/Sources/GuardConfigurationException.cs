namespace ProxClmc.Guard.Core.Sources;

/// <summary>
/// The configuration is wrong (bad key, wrong type, a secret file readable by others, ...): exit 78.
/// The message is one line an administrator can act on, naming the file, line and column or the key.
/// </summary>
public sealed class GuardConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
