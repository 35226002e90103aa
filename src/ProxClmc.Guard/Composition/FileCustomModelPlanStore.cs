using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Composition;

/// <summary>Custom model plans as files under <c>fix.undo_dir</c>: written whole (0600), read back bounded and never through a link.</summary>
internal sealed class FileCustomModelPlanStore(string store) : ICustomModelPlanStore
{
    public string Location => store;

    public bool IsApplied(string id) => File.Exists(DonePath(store, id));

    public void MarkApplied(string id, DateTimeOffset at) =>
        AtomicFile.WriteAllBytes(DonePath(store, id), Encoding.UTF8.GetBytes(at.ToString("O", CultureInfo.InvariantCulture) + "\n"), AtomicFile.Mode0600);

    private static string PlanPath(string store, string id) => Path.Combine(store, id + ".model.json");

    private static string DonePath(string store, string id) => Path.Combine(store, id + ".model.applied");

    public void Save(CustomModelPlan plan)
    {
        Directory.CreateDirectory(store, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("id", plan.Id);
            json.WriteString("kind", "custom-model");
            json.WriteString("createdAt", plan.CreatedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            if (plan.Cluster is not null)
            {
                json.WriteString("cluster", plan.Cluster);
            }

            json.WriteString("name", plan.Name);
            json.WriteString("action", plan.Action);
            json.WriteString("digest", plan.Digest);
            json.WriteString("section", plan.Section);
            json.WriteStartObject("properties");
            foreach (var (key, value) in plan.Properties)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            if (plan.Existing is not null)
            {
                json.WriteString("existing", plan.Existing);
            }

            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        AtomicFile.WriteAllBytes(PlanPath(store, plan.Id), buffer.ToArray(), AtomicFile.Mode0600);
    }

    public CustomModelPlan? Load(string id)
    {
        var path = PlanPath(store, id);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null;
        }

        if (info.LinkTarget is not null || info.Length > 1024 * 1024)
        {
            throw new InvalidRequestException($"--apply {id}: {path} is not a plan this tool wrote");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            string Text(string key) => root.GetProperty(key).GetString() ?? throw new InvalidDataException(key);
            if (Text("kind") != "custom-model")
            {
                throw new InvalidDataException("kind");
            }

            return new CustomModelPlan
            {
                Id = Text("id"),
                CreatedAt = DateTimeOffset.Parse(Text("createdAt"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                Cluster = root.TryGetProperty("cluster", out var c) ? c.GetString() : null,
                Name = Text("name"),
                Action = Text("action") is var a && a is "create" or "replace" ? a : throw new InvalidDataException("action"),
                Digest = Text("digest"),
                Section = Text("section"),
                Properties = root.GetProperty("properties").EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString() ?? "")).ToList(),
                Existing = root.TryGetProperty("existing", out var e) ? e.GetString() : null,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidRequestException($"--apply {id}: {path} cannot be read as a custom model plan ({e.Message})");
        }
    }
}
