using System.Text.Json;
using System.Text.Json.Serialization;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Composition;

/// <summary>Shared options: cpu values keep their '+' readable (no \u002B) in files an administrator reads.</summary>
internal static class FixJson
{
    private static readonly Lazy<FixPlanJson> LazyPlan = new(() => new FixPlanJson(Readable(FixPlanJson.Default.Options)));
    private static readonly Lazy<FixUndoJson> LazyUndo = new(() => new FixUndoJson(Readable(FixUndoJson.Default.Options)));

    public static FixPlanJson Plan => LazyPlan.Value;

    public static FixUndoJson Undo => LazyUndo.Value;

    private static JsonSerializerOptions Readable(JsonSerializerOptions generated) =>
        new(generated) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

// Computed properties (PlacementEntry.IsChange) are not part of the file. A plan file is
// read back before writing to the cluster: a null or missing value where the plan must have one is an error naming
// its line, not a crash later.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    IgnoreReadOnlyProperties = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(FixActionJsonConverter), typeof(PlacementActionJsonConverter)])]
[JsonSerializable(typeof(FixPlan))]
internal sealed partial class FixPlanJson : JsonSerializerContext;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FixUndoRecord))]
internal sealed partial class FixUndoJson : JsonSerializerContext;
