using System.Text.Json;
using ProxClmc.Guard.Application.Ports;

namespace ProxClmc.Guard.Application.Snapshot;

/// <summary>manifest.json: when, which tool, which sources, and every node with where its cpuinfo came from or why it is missing.</summary>
public static class SnapshotManifest
{
    public static byte[] Render(DateTimeOffset time, string toolVersion, IReadOnlyList<string> sources, IReadOnlyList<SnapshotNode> nodes, IReadOnlyList<string> guestFailures)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 1);
            json.WriteString("time", time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("tool", "proxclmc-guard");
            json.WriteString("toolVersion", toolVersion);
            json.WriteStartArray("sources");
            foreach (var source in sources)
            {
                json.WriteStringValue(source);
            }

            json.WriteEndArray();
            json.WriteStartArray("nodes");
            foreach (var node in nodes)
            {
                json.WriteStartObject();
                json.WriteString("name", node.Name);
                json.WriteString("cpuinfoSource", node.Source);
                if (node.Address is { Length: > 0 } address)
                {
                    json.WriteString("address", address);
                }

                json.WriteBoolean("cpuinfoSynthesized", node.Synthesized);
                json.WriteBoolean("ok", node.Error is null);
                if (node.Error is { } error)
                {
                    json.WriteString("error", error);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("failedNodes");
            foreach (var node in nodes.Where(n => n.Error is not null))
            {
                json.WriteStartObject();
                json.WriteString("name", node.Name);
                json.WriteString("reason", node.Error);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("failedGuests");
            foreach (var failure in guestFailures)
            {
                json.WriteStringValue(failure);
            }

            json.WriteEndArray();
            if (nodes.Any(n => n.Synthesized))
            {
                json.WriteString(
                    "note",
                    "cpuinfo of nodes marked cpuinfoSynthesized was synthesized from the Proxmox API's node status (model name and flags only): " +
                    "no family/model/stepping, bugs or address sizes");
            }

            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
