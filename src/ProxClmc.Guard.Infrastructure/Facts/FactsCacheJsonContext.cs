using System.Text.Json.Serialization;

namespace ProxClmc.Guard.Infrastructure.Facts;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FactsCacheDocument))]
internal sealed partial class FactsCacheJsonContext : JsonSerializerContext;
