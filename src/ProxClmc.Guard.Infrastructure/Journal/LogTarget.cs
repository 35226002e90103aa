namespace ProxClmc.Guard.Infrastructure.Journal;

/// <summary>Where log events go: <c>--log-target console|journal</c>.</summary>
public enum LogTarget
{
    Console,
    Journal,
}
