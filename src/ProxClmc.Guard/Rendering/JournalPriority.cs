namespace ProxClmc.Guard.Rendering;

/// <summary>
/// The log-event property the journal sink reads an entry's syslog priority from (the sink's <c>PriorityProperty</c>;
/// the journald tests read the entries back): <c>log.ForContext(JournalPriority.Property, JournalPriority.Notice)</c>.
/// </summary>
internal static class JournalPriority
{
    public const string Property = "JournalPriority";

    /// <summary>syslog's notice (5): above info, below warning.</summary>
    public const int Notice = 5;
}
