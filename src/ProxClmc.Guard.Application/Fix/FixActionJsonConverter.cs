using System.Text.Json;
using System.Text.Json.Serialization;
using ProxClmc.Guard.Core.Fixes;

namespace ProxClmc.Guard.Application.Fix;

/// <summary>"change" and "skip" in the plan file.</summary>
public sealed class FixActionJsonConverter : JsonConverter<FixAction>
{
    public override FixAction Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString() switch
        {
            "change" => FixAction.Change,
            "skip" => FixAction.Skip,
            var other => throw new JsonException($"action '{other}': expected change or skip"),
        };

    public override void Write(Utf8JsonWriter writer, FixAction value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value == FixAction.Change ? "change" : "skip");
}
