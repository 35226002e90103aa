namespace ProxClmc.Guard.Infrastructure.Journal;

/// <summary>A libc call failed; <see cref="Errno"/> is the raw error number.</summary>
internal sealed class JournalNativeException(string message, int errno) : IOException(message)
{
    public int Errno { get; } = errno;
}
