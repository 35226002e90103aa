namespace ProxClmc.Guard.Testing;

/// <summary>
/// Limits for tests that talk to a real server (sshd, the fake Proxmox, journald, QEMU). They only have to hold on a
/// loaded machine (CI shares two cores with other builds), so they are far above what a healthy server needs. A test
/// that checks a timeout itself makes its server silent instead of shortening the limit: a silent server never answers,
/// however long the limit, while the healthy servers beside it keep the whole minute.
/// </summary>
public static class ServerTimeouts
{
    public const int AnswerSeconds = 60;

    /// <summary>How long a healthy server may take to answer one request on a loaded machine.</summary>
    public static readonly TimeSpan Answer = TimeSpan.FromSeconds(AnswerSeconds);

    /// <summary>The limit for a whole test run against real servers, some of them silent until <see cref="Answer"/> ends.</summary>
    public static readonly TimeSpan Run = TimeSpan.FromMinutes(5);
}
