using System.Diagnostics.CodeAnalysis;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Guests;

/// <summary>One <c>cpu-model: &lt;name&gt;</c> section of /etc/pve/virtual-guest/cpu-models.conf.</summary>
public sealed record CustomCpuModel
{
    public required string Name { get; init; }

    /// <summary>The QEMU model it is based on (default kvm64).</summary>
    public string ReportedModel { get; init; } = "kvm64";

    public IReadOnlyList<GuestCpuFlag> Flags { get; init; } = [];

    public string? PhysBits { get; init; }

    public int? GuestPhysBits { get; init; }

    public bool? Hidden { get; init; }

    public string? HvVendorId { get; init; }

    public int? Level { get; init; }
}

/// <summary>The cluster's custom CPU models; VMs refer to them as <c>custom-&lt;name&gt;</c>.</summary>
public sealed class CustomCpuModels
{
    public static CustomCpuModels Empty { get; } = new([]);

    public CustomCpuModels(IReadOnlyList<CustomCpuModel> models) => Models = models;

    public IReadOnlyList<CustomCpuModel> Models { get; }

    public static ParseResult<CustomCpuModels> Parse(string text, string source = "cpu-models.conf") => throw new NotImplementedException();

    /// <summary>Looks up by bare name (without the <c>custom-</c> prefix).</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out CustomCpuModel? model)
    {
        model = Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal));
        return model is not null;
    }
}
