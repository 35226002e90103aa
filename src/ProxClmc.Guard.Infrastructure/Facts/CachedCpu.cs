using ProxClmc.Guard.Core.Cpu;

namespace ProxClmc.Guard.Infrastructure.Facts;

internal sealed class CachedCpu
{
    public string? Architecture { get; set; }

    public string? VendorId { get; set; }

    public int? Family { get; set; }

    public int? Model { get; set; }

    public int? Stepping { get; set; }

    public string? ModelName { get; set; }

    public List<string>? Flags { get; set; }

    public List<string>? Bugs { get; set; }

    public int? PhysicalAddressBits { get; set; }

    public int ProcessorCount { get; set; } = 1;

    public List<string>? FlagsNotOnAllProcessors { get; set; }

    public static CachedCpu From(CpuInfo cpu) => new()
    {
        Architecture = cpu.Architecture,
        VendorId = cpu.VendorId,
        Family = cpu.Family,
        Model = cpu.Model,
        Stepping = cpu.Stepping,
        ModelName = cpu.ModelName,
        Flags = cpu.Flags.Order(StringComparer.Ordinal).ToList(),
        Bugs = cpu.Bugs.Order(StringComparer.Ordinal).ToList(),
        PhysicalAddressBits = cpu.PhysicalAddressBits,
        ProcessorCount = cpu.ProcessorCount,
        FlagsNotOnAllProcessors = [.. cpu.FlagsNotOnAllProcessors],
    };

    public CpuInfo ToCpuInfo() => new()
    {
        Architecture = Architecture!,
        VendorId = VendorId!,
        Family = Family,
        Model = Model,
        Stepping = Stepping,
        ModelName = ModelName!,
        Flags = new HashSet<string>(Flags!, StringComparer.Ordinal),
        Bugs = new HashSet<string>(Bugs ?? [], StringComparer.Ordinal),
        PhysicalAddressBits = PhysicalAddressBits,
        ProcessorCount = ProcessorCount,
        FlagsNotOnAllProcessors = FlagsNotOnAllProcessors ?? [],
    };
}
