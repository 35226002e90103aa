namespace ProxClmc.Guard.Cli;

/// <summary>The command line itself is wrong (a bad option value, a missing argument): exit 64.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A verb's own refusal with an explicit exit code and one line of explanation.</summary>
public sealed class GuardExitException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
