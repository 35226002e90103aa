namespace ProxClmc.Guard.Cli;

/// <summary>The command line itself is wrong (a bad option value, a missing argument): exit 64.</summary>
internal sealed class UsageException(string message) : Exception(message);
