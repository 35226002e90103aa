namespace ProxClmc.Guard.Application.Configuration;

/// <summary>How a verb's answer is written (--format).</summary>
public enum OutputFormat
{
    Table,
    Json,
    Prometheus,

    /// <summary>One self-contained page (scan only).</summary>
    Html,
}
