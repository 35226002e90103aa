using System.Text.Json;
using System.Text.Json.Serialization;

namespace ProxClmc.Guard.Application.Placement;

/// <summary>A placement plan's actions in the plan file: "create-rule", "create-group", "hookscript" and "skip".</summary>
public sealed class PlacementActionJsonConverter : JsonConverter<Core.Placement.PlacementAction>
{
    public override Core.Placement.PlacementAction Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString() switch
        {
            "create-rule" => Core.Placement.PlacementAction.CreateRule,
            "create-group" => Core.Placement.PlacementAction.CreateGroup,
            "hookscript" => Core.Placement.PlacementAction.Hookscript,
            "skip" => Core.Placement.PlacementAction.Skip,
            var other => throw new JsonException($"action '{other}': expected create-rule, create-group, hookscript or skip"),
        };

    public override void Write(Utf8JsonWriter writer, Core.Placement.PlacementAction value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Name(value));

    public static string Name(Core.Placement.PlacementAction value) => value switch
    {
        Core.Placement.PlacementAction.CreateRule => "create-rule",
        Core.Placement.PlacementAction.CreateGroup => "create-group",
        Core.Placement.PlacementAction.Hookscript => "hookscript",
        _ => "skip",
    };
}
