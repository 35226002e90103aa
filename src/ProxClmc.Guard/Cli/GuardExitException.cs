namespace ProxClmc.Guard.Cli;

/// <summary>A verb's own refusal with an explicit exit code and one line of explanation.</summary>
internal sealed class GuardExitException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
