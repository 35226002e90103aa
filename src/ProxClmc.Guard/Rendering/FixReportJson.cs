using System.Text.Json;
using System.Text.Json.Serialization;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Application.Placement;
using ProxClmc.Guard.Core.Fixes;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// The JSON documents of <c>fix --format json</c>: cpu values keep their '+' readable (no \u002B), as in the plan
/// files an administrator reads.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    IgnoreReadOnlyProperties = true,
    Converters = [typeof(FixActionJsonConverter), typeof(PlacementActionJsonConverter)])]
[JsonSerializable(typeof(FixReport))]
[JsonSerializable(typeof(FixUndoReport))]
internal sealed partial class FixReportJson : JsonSerializerContext
{
    private static readonly Lazy<FixReportJson> LazyReadable = new(CreateReadable);

    public static FixReportJson Readable => LazyReadable.Value;

    private static FixReportJson CreateReadable() =>
        new(new JsonSerializerOptions(Default.Options) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
