using System.Text;
using System.Text.Json;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

/// <summary>
/// The answers of the endpoints read per guest (and per run: /cluster/resources, /cluster/status) are read with
/// <see cref="System.Text.Json.Utf8JsonReader"/> straight into their values. Whatever the bytes, the outcome is the one
/// the document readers (<see cref="JsonDocument"/> and the models' <c>Parse</c>) give: the same values, the same
/// "not JSON at line, byte" position, the same missing data, the same shape message; and nothing else is thrown.
/// </summary>
public sealed class ProxmoxReaderTests
{
    private const string NotText = "a string is not valid Unicode text";

    private static readonly Endpoint[] Endpoints =
    [
        new("pending list",
            """{"data":[{"key":"cpu","value":"host","pending":"x86-64-v2-AES"},{"key":"cores","value":4},{"key":"args","delete":"1"},{"key":"kvm","value":0,"delete":0},{"key":"digest","value":"0f3c"},{"key":"cpu","pending":null,"delete":2.0}]}""",
            d => ProxmoxJson.ArrayItems(d, "pending list").Select(PendingEntry.Parse).ToList(),
            (ref Utf8JsonReader r) => ProxmoxReader.ReadList(ref r, "pending list", PendingEntry.Read)),
        new("snapshot list",
            """{"data":[{"name":"before-upgrade","vmstate":1,"snaptime":1700000000,"description":"a\nb"},{"name":"s2","parent":"before-upgrade","vmstate":"0"},{"name":"current","running":1,"parent":"s2","digest":"ab"}],"extra":{"x":[1,2]}}""",
            d => ProxmoxJson.ArrayItems(d, "snapshot list").Select(SnapshotListEntry.Parse).ToList(),
            (ref Utf8JsonReader r) => ProxmoxReader.ReadList(ref r, "snapshot list", SnapshotListEntry.Read)),
        new("cluster resources",
            """{"data":[{"id":"qemu/101","vmid":101,"node":"pve1","type":"qemu","status":"running","name":"web","template":0,"tags":"a;b","maxcpu":4,"mem":1.5e9},{"id":"lxc/200","vmid":"200","node":"pve2","type":"lxc","template":"1","lock":"backup","hastate":"started","pool":"p"},{"id":"qemu/7","node":"pve3","type":"qemu","vmid":null}]}""",
            d => ProxmoxJson.ArrayItems(d, "cluster resources").Select(ClusterVmResource.Parse).ToList(),
            (ref Utf8JsonReader r) => ProxmoxReader.ReadList(ref r, "cluster resources", ClusterVmResource.Read)),
        new("cluster status",
            """{"data":[{"type":"cluster","name":"lab","quorate":1,"nodes":3,"version":4,"id":"cluster"},{"type":"node","name":"pve1","nodeid":1,"ip":"10.0.0.1","online":1,"local":1,"level":""},{"type":"node","name":"pve2","nodeid":"2","online":0,"local":false}]}""",
            d => ProxmoxJson.ArrayItems(d, "cluster status").Select(ClusterStatusEntry.Parse).ToList(),
            (ref Utf8JsonReader r) => ProxmoxReader.ReadList(ref r, "cluster status", ClusterStatusEntry.Read)),
        new("VM config",
            """{"data":{"cpu":"host,flags=+aes","cores":4,"numa":true,"hotplug":false,"digest":"9e1a","net0":"virtio=AA:BB","meta":{"x":1},"list":[1],"cores":"8","none":null}}""",
            d => QemuConfigValues.Parse(d),
            QemuConfigValues.Read),
    ];

    [Fact]
    public void The_endpoint_answers_read_to_the_same_values_as_the_document_readers()
    {
        foreach (var endpoint in Endpoints)
        {
            var bytes = Encoding.UTF8.GetBytes(endpoint.Seed);
            var expected = Old(bytes, endpoint);

            Assert.StartsWith("ok ", expected, StringComparison.Ordinal);
            Assert.Equal(expected, New(bytes, endpoint));
        }
    }

    [Fact]
    public void Duplicate_names_null_values_and_numbers_as_text_read_as_Proxmox_means_them()
    {
        var bytes = """{"data":[{"key":"cpu","value":"host","value":null,"delete":"1"},{"key":"cores","value":4.0,"pending":"8"}],"data":[{"key":"cpu","value":"kvm64","delete":1}]}"""u8.ToArray();
        var endpoint = Endpoints[0];

        // The last "data" is the answer, as with a document; 1 and "1" are both a pending delete.
        Assert.Equal(Old(bytes, endpoint), New(bytes, endpoint));
        Assert.True(ProxmoxReader.TryGetData(bytes, out var start, out var length));
        var entries = ProxmoxReader.ReadValue(bytes.AsSpan(start, length), (ref Utf8JsonReader r) => ProxmoxReader.ReadList(ref r, "pending list", PendingEntry.Read));
        Assert.Equal(new PendingEntry("cpu", "kvm64", null, true), Assert.Single(entries));
    }

    [Fact]
    public void Mutated_answers_give_the_document_readers_outcome()
    {
        foreach (var endpoint in Endpoints)
        {
            var cases = 0;
            foreach (var input in Fuzz.Inputs([endpoint.Seed, .. Endpoints.Select(e => e.Seed)], Fuzz.Cases(400)))
            {
                cases++;
                var bytes = Encoding.UTF8.GetBytes(input);
                Assert.True(Old(bytes, endpoint) == New(bytes, endpoint), $"{endpoint.Name}: {input}");
            }

            Assert.Equal(Fuzz.Cases(400), cases);
        }
    }

    [Fact]
    public void Arbitrary_bytes_are_refused_with_a_message_never_a_crash()
    {
        var seeds = Endpoints.Select(e => Encoding.UTF8.GetBytes(e.Seed)).ToArray();
        foreach (var bytes in Fuzz.Bytes(seeds, Fuzz.Cases(2000)))
        {
            foreach (var endpoint in Endpoints)
            {
                var outcome = New(bytes, endpoint);
                Assert.Matches("^(ok|json|no data|shape|text)", outcome);
            }
        }
    }

    [Fact]
    public void Invalid_text_in_a_string_is_a_wrong_shape()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"data":[{"name":"\ud800"}]}""");
        Assert.True(ProxmoxReader.TryGetData(bytes, out var start, out var length));

        var e = Assert.Throws<ProxmoxShapeException>(() =>
            ProxmoxReader.ReadValue(bytes.AsSpan(start, length), (ref Utf8JsonReader r) => ProxmoxReader.ReadList(ref r, "snapshot list", SnapshotListEntry.Read)));
        Assert.Equal("snapshot entry: " + NotText, e.Message);
    }

    private static string Old(byte[] bytes, Endpoint endpoint)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            return $"json {e.LineNumber} {e.BytePositionInLine}";
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("data", out var data))
            {
                return "no data";
            }

            try
            {
                return "ok " + Show(endpoint.Old(data));
            }
            catch (ProxmoxShapeException e)
            {
                return "shape " + e.Message;
            }
            catch (InvalidOperationException)
            {
                return "text";
            }
        }
    }

    private static string New(byte[] bytes, Endpoint endpoint)
    {
        int start, length;
        try
        {
            if (!ProxmoxReader.TryGetData(bytes, out start, out length))
            {
                return "no data";
            }
        }
        catch (JsonException e)
        {
            return $"json {e.LineNumber} {e.BytePositionInLine}";
        }

        try
        {
            return "ok " + Show(ProxmoxReader.ReadValue(bytes.AsSpan(start, length), endpoint.New));
        }
        catch (ProxmoxShapeException e) when (e.Message.EndsWith(NotText, StringComparison.Ordinal))
        {
            return "text";
        }
        catch (ProxmoxShapeException e)
        {
            return "shape " + e.Message;
        }
    }

    private static string Show(object value) => value switch
    {
        QemuConfigValues config => $"digest={config.Digest} " + string.Join("|", config.Values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}")),
        System.Collections.IEnumerable list => "[" + string.Join("|", list.Cast<object>()) + "]",
        _ => value.ToString() ?? "",
    };

    private sealed record Endpoint(string Name, string Seed, Func<JsonElement, object> Old, DataReader<object> New);
}
