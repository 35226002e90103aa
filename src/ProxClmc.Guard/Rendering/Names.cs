using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Rendering;

internal static class Names
{
    public static string Vendor(string vendorId) => vendorId switch
    {
        "GenuineIntel" => "Intel",
        "AuthenticAMD" => "AMD",
        "HygonGenuine" => "Hygon",
        "CentaurHauls" => "Centaur",
        "" => "-",
        _ => vendorId,
    };

    public static string Source(FactsSource source) => source switch
    {
        FactsSource.Local => "local",
        FactsSource.Ssh => "ssh",
        FactsSource.Api => "api",
        FactsSource.Snapshot => "snapshot",
        FactsSource.Cache => "cache",
        FactsSource.Assumed => "assumed",
        FactsSource.Published => "published",
        _ => "?",
    };

    /// <summary>Collapses the runs of spaces some CPUs put in their model name ("CPU         870").</summary>
    public static string ModelName(string modelName) => string.Join(' ', modelName.Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
