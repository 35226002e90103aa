using System.Net;
using System.Text;
using System.Text.Json;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Infrastructure.Proxmox;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

/// <summary>
/// <c>GET /cluster/qemu/cpu-flags?accel=kvm</c> over real HTTPS from the fake Proxmox serving Fixtures/api-cluster,
/// whose fake-pve.state says what each node's pvestatd broadcast: the fake answers as pve-manager 9.1.15+ does, and
/// the facts source adds what it says to each node, or leaves the facts as they were when it cannot.
/// </summary>
public sealed class ApiKvmFlagsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("proxclmc-kvmflags-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A copy of api-cluster whose fake-pve.state ends with <paramref name="state"/>.</summary>
    private string Cluster(string state)
    {
        foreach (var file in Directory.GetFiles(FakeApiCluster.SnapshotDir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(_dir, Path.GetRelativePath(FakeApiCluster.SnapshotDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        File.AppendAllText(Path.Combine(_dir, "fake-pve.state"), state);
        return _dir;
    }

    private static Task<FakeProxmox> Start(string snapshot, PveRelease? release = null) =>
        FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = snapshot, Release = release ?? PveRelease.Latest });

    private static ClusterMembership Membership() =>
        new("api", [new ClusterNode("pve1", 1, []), new ClusterNode("pve2", 2, []), new ClusterNode("pve3", 3, [])], false);

    private static async Task<(IReadOnlyList<NodeFacts> Facts, IReadOnlyList<string> Notes)> ReadAsync(FakeProxmox pve)
    {
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));
        var source = new ApiKvmFlagsFactsSource(new ApiNodeFactsSource(client), client);
        var facts = await source.GetFactsAsync(Membership(), CancellationToken.None);
        return (facts, source.Notes);
    }

    private static HttpClient Http(FakeProxmox pve)
    {
        var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
        {
            BaseAddress = new Uri(pve.Url + "/api2/json/"),
        };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"PVEAPIToken={FakeProxmox.TokenId}={pve.TokenSecret}");
        return http;
    }

    [Fact]
    public async Task The_fake_answers_every_recognised_flag_with_the_nodes_that_reported_it()
    {
        await using var pve = await Start(Cluster("node pve2 kvm-flags cpuinfo -avx2\nnode pve3 kvm-flags none\n"));
        using var http = Http(pve);

        using var doc = JsonDocument.Parse(await http.GetStringAsync("cluster/qemu/cpu-flags?accel=kvm"));
        var flags = doc.RootElement.GetProperty("data").EnumerateArray()
            .Select(f => (Name: f.GetProperty("name").GetString()!, On: f.GetProperty("supported-on").EnumerateArray().Select(n => n.GetString()!).ToList()))
            .ToList();

        // nested-virt first, then the flags some node reported, then those none did (QEMU 7.2.22 recognises 319 distinct flags).
        Assert.Equal("nested-virt", flags[0].Name);
        Assert.Equal(320, flags.Count);
        var firstUnsupported = flags.FindIndex(1, f => f.On.Count == 0);
        Assert.All(flags.Skip(firstUnsupported), f => Assert.Empty(f.On));
        Assert.Equal(["pve1", "pve2"], flags.Single(f => f.Name == "sse4.2").On);
        Assert.Equal(["pve1"], flags.Single(f => f.Name == "avx2").On);
        Assert.Equal(["pve1", "pve2"], flags.Single(f => f.Name == "lahf-lm").On);
        Assert.DoesNotContain(flags, f => f.On.Contains("pve3"));
    }

    [Theory]
    [InlineData("cluster/qemu/cpu-flags?accel=foo", 400)]
    [InlineData("cluster/qemu/cpu-flags?node=pve1", 400)]
    [InlineData("cluster/qemu/cpu-flags?arch=aarch64", 200)]
    [InlineData("cluster/qemu/cpu-flags?accel=tcg", 200)]
    public async Task The_fake_checks_parameters_as_Proxmox_does(string path, int status)
    {
        await using var pve = await Start(FakeApiCluster.SnapshotDir);
        using var http = Http(pve);

        var answer = await http.GetAsync(path);

        Assert.Equal(status, (int)answer.StatusCode);
        if (status == 200 && path.Contains("aarch64", StringComparison.Ordinal))
        {
            using var doc = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            Assert.Empty(doc.RootElement.GetProperty("data").EnumerateArray());
        }
    }

    [Fact]
    public async Task Sys_Audit_on_nodes_or_a_Mapping_privilege_on_mapping_cpu_opens_the_list()
    {
        await using var pve = await Start(FakeApiCluster.SnapshotDir);
        using var http = Http(pve);
        pve.Revoke("Sys.Audit", "/nodes");
        foreach (var privilege in new[] { "Mapping.Audit", "Mapping.Use", "Mapping.Modify" })
        {
            pve.Revoke(privilege, "/mapping");
        }

        var denied = await http.GetAsync("cluster/qemu/cpu-flags");
        pve.Grant("Mapping.Use", "/mapping/cpu");
        var allowed = await http.GetAsync("cluster/qemu/cpu-flags");

        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("Permission check failed", denied.ReasonPhrase);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task A_flag_cpuinfo_shows_but_the_node_KVM_does_not_give_is_masked_and_a_silent_node_keeps_cpuinfo()
    {
        await using var pve = await Start(Cluster("node pve2 kvm-flags cpuinfo -avx2 -fma\nnode pve3 kvm-flags none\n"));

        var (facts, notes) = await ReadAsync(pve);
        var byNode = facts.ToDictionary(f => f.Node);

        Assert.Equal("cpuinfo+kvm-flags", byNode["pve1"].JudgedBy);
        Assert.DoesNotContain("avx2", byNode["pve1"].KvmFlags!.MaskedCpuinfoFlags);
        Assert.Contains("avx2", byNode["pve2"].KvmFlags!.MaskedCpuinfoFlags);
        Assert.Contains("fma", byNode["pve2"].KvmFlags!.MaskedCpuinfoFlags);
        Assert.Contains("avx2", byNode["pve2"].Cpu!.Flags);
        Assert.Null(byNode["pve3"].KvmFlags);
        Assert.Equal("cpuinfo", byNode["pve3"].JudgedBy);
        Assert.Equal(
            "KVM flags from api:/cluster/qemu/cpu-flags?accel=kvm sharpen the cpuinfo judgement of pve1, pve2; Proxmox lists no KVM flags for pve3 (pvestatd has not reported them)",
            Assert.Single(notes));

        var pve2 = NodeCapability.Compute(byNode["pve2"], CpuCatalog.Default);
        var byCpuinfo = NodeCapability.Compute(byNode["pve2"] with { KvmFlags = null }, CpuCatalog.Default);
        Assert.True(byCpuinfo.Level >= CpuLevel.V3);
        Assert.Equal(CpuLevel.V2Aes, pve2.Level);
        Assert.Contains("avx2", pve2.Check(CpuRequirement.FromModel(CpuCatalog.Default.ModelForLevel(CpuLevel.V3)!)).MissingFlags);
    }

    [Theory]
    [InlineData("9.1.14", "this Proxmox VE has no /cluster/qemu/cpu-flags (added in 9.1.15)")]
    [InlineData("9.0", "this Proxmox VE has no /cluster/qemu/cpu-flags (added in 9.1.15)")]
    public async Task A_release_without_the_endpoint_leaves_the_facts_as_they_were(string release, string why)
    {
        await using var pve = await Start(Cluster("node pve2 kvm-flags cpuinfo -avx2\n"), PveRelease.Parse(release));
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var (facts, notes) = await ReadAsync(pve);
        var plain = await new ApiNodeFactsSource(client).GetFactsAsync(Membership(), CancellationToken.None);

        Assert.All(facts, f => Assert.Null(f.KvmFlags));
        Assert.Equal(plain.Select(f => string.Join(' ', f.Cpu!.Flags.Order(StringComparer.Ordinal))), facts.Select(f => string.Join(' ', f.Cpu!.Flags.Order(StringComparer.Ordinal))));
        Assert.Equal("KVM flags not used, nodes judged from cpuinfo alone: " + why, Assert.Single(notes));
        Assert.Equal(1, pve.CountRequests("GET", "/cluster/qemu/cpu-flags"));
    }

    [Fact]
    public async Task A_404_from_a_proxy_in_front_of_an_older_Proxmox_counts_as_no_endpoint()
    {
        await using var pve = await Start(Cluster("node pve2 kvm-flags cpuinfo -avx2\n"));
        pve.FailNext("cluster/qemu/cpu-flags", 1, 404, "Not Found");

        var (facts, notes) = await ReadAsync(pve);

        Assert.All(facts, f => Assert.Null(f.KvmFlags));
        Assert.Equal("KVM flags not used, nodes judged from cpuinfo alone: this Proxmox VE has no /cluster/qemu/cpu-flags (added in 9.1.15)", Assert.Single(notes));
    }

    [Fact]
    public async Task A_caller_without_the_privilege_gets_the_cpuinfo_answer_and_the_reason()
    {
        await using var pve = await Start(Cluster("node pve2 kvm-flags cpuinfo -avx2\n"));
        pve.Revoke("Sys.Audit", "/nodes");
        foreach (var privilege in new[] { "Mapping.Audit", "Mapping.Use", "Mapping.Modify" })
        {
            pve.Revoke(privilege, "/mapping");
        }

        foreach (var node in new[] { "pve1", "pve2", "pve3" })
        {
            pve.Grant("Sys.Audit", "/nodes/" + node);
        }

        var (facts, notes) = await ReadAsync(pve);

        Assert.All(facts, f => Assert.Equal("cpuinfo", f.JudgedBy));
        Assert.Contains("403 Permission check failed", Assert.Single(notes), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"data\": {\"name\": \"pni\"}}")]
    [InlineData("{\"data\": [{\"supported-on\": [\"pve1\"]}]}")]
    [InlineData("{\"data\": [17]}")]
    [InlineData("{\"data\": [{\"name\": \"pni\", \"supported-on\": [\"pve1\"")]
    [InlineData("\u0000\u00ff not json")]
    public async Task A_malformed_answer_leaves_the_facts_as_they_were(string body)
    {
        await using var pve = await Start(Cluster("node pve2 kvm-flags cpuinfo -avx2\n"));
        pve.ServeRawNext("cluster/qemu/cpu-flags", 3, body);

        var (facts, notes) = await ReadAsync(pve);

        Assert.All(facts, f => Assert.Equal("cpuinfo", f.JudgedBy));
        Assert.All(facts, f => Assert.NotNull(f.Cpu));
        Assert.StartsWith("KVM flags not used, nodes judged from cpuinfo alone: API GET /cluster/qemu/cpu-flags", Assert.Single(notes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_64_MiB_answer_is_refused_at_the_endpoints_own_limit_with_one_line()
    {
        await using var pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions
        {
            SnapshotDir = Cluster("node pve2 kvm-flags cpuinfo -avx2\n"),
            CpuFlagsAnswerBytes = 64 * 1024 * 1024 - 4096,
        });
        using (var http = Http(pve))
        {
            // The fake really sends that much, of the real shape (the API client stops reading at 4 MiB).
            var body = await http.GetByteArrayAsync("cluster/qemu/cpu-flags");
            Assert.InRange(body.Length, 64 * 1024 * 1024 - 8192, 64 * 1024 * 1024 - 4096);
            Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(body).RootElement.GetProperty("data").ValueKind);
        }

        var (facts, notes) = await ReadAsync(pve);

        Assert.All(facts, f => Assert.Equal("cpuinfo", f.JudgedBy));
        var note = Assert.Single(notes);
        // The fake declares its Content-Length, so the answer is refused before a byte of it is read.
        Assert.Matches($@"^KVM flags not used, nodes judged from cpuinfo alone: API GET /cluster/qemu/cpu-flags on {new Uri(pve.Url).Authority}: answer of 6710\d{{4}} bytes, over the limit of {ClusterCpuFlag.MaxAnswerBytes} bytes; refused \(this endpoint's own limit\)$", note);
        Assert.DoesNotContain('\n', note);
    }

    /// <summary>An answer of <paramref name="flags"/> flags, the last supported on <paramref name="nodes"/> node names.</summary>
    private static string Answer(int flags, int nodes)
    {
        var list = new StringBuilder("{\"data\": [");
        for (var i = 0; i < flags; i++)
        {
            list.Append(i == 0 ? "" : ",").Append("{\"name\": \"x-flag-").Append(i).Append("\", \"supported-on\": [\"pve1\"]}");
        }

        list.Append(",{\"name\": \"pni\", \"supported-on\": [");
        list.AppendJoin(',', Enumerable.Range(0, nodes).Select(i => $"\"pve{(i % 3) + 1}\""));
        return list.Append("]}]}").ToString();
    }

    [Theory]
    [InlineData(1023, 1024, null)]
    [InlineData(1024, 3, "API GET /cluster/qemu/cpu-flags on {0}: unexpected answer: more than 1024 flags, the limit for /cluster/qemu/cpu-flags; refused")]
    [InlineData(10, 1025, "API GET /cluster/qemu/cpu-flags on {0}: unexpected answer: flag pni: supported-on lists more than 1024 nodes, the limit for /cluster/qemu/cpu-flags; refused")]
    public async Task Many_flags_or_a_long_supported_on_list_are_read_up_to_their_limits(int flags, int nodes, string? refusal)
    {
        await using var pve = await Start(Cluster("node pve2 kvm-flags cpuinfo -avx2\n"));
        pve.ServeRawNext("cluster/qemu/cpu-flags", 3, Answer(flags, nodes));

        var (facts, notes) = await ReadAsync(pve);

        if (refusal is null)
        {
            // At the limits the list is used: pve1 and pve2 are in pni's list, pve3 too (its names repeat).
            Assert.Contains(facts, f => f.JudgedBy == "cpuinfo+kvm-flags");
            Assert.StartsWith("KVM flags from", Assert.Single(notes), StringComparison.Ordinal);
        }
        else
        {
            Assert.All(facts, f => Assert.Equal("cpuinfo", f.JudgedBy));
            Assert.Equal("KVM flags not used, nodes judged from cpuinfo alone: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, refusal, new Uri(pve.Url).Authority), Assert.Single(notes));
        }
    }

    [Fact]
    public void A_node_named_in_every_list_is_kept_once()
    {
        var flags = ClusterCpuFlag.ParseList(Encoding.UTF8.GetBytes("""[{"name":"pni","supported-on":["pve1","pve2"]},{"name":"aes","supported-on":"pve1 pve2"}]"""));

        Assert.Equal(["pve1", "pve2"], flags[1].SupportedOn);
        Assert.Same(flags[0].SupportedOn[0], flags[1].SupportedOn[0]);
        Assert.Same(flags[0].SupportedOn[1], flags[1].SupportedOn[1]);
    }

    [Fact]
    public void Arbitrary_bytes_never_break_the_reader()
    {
        var seeds = new[]
        {
            """[{"name":"nested-virt","supported-on":["pve1"],"description":"x"},{"name":"pni","supported-on":["pve1","pve2"]},{"name":"sse4.1","supported-on":[]}]""",
            """[{"name":"avx2","supported-on":"pve1"},{"name":"lahf-lm","supported-on":[1,null,"pve2"]}]""",
        };
        var cpuinfo = new HashSet<string>(["pni", "sse4_1", "avx2", "lahf_lm"], StringComparer.Ordinal);
        var cases = 0;
        foreach (var input in Fuzz.Inputs(seeds, Fuzz.Cases(500)))
        {
            cases++;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(Encoding.UTF8.GetBytes(input));
            }
            catch (JsonException)
            {
                continue;
            }

            using (document)
            {
                try
                {
                    var flags = ClusterCpuFlag.ParseList(Encoding.UTF8.GetBytes(input));
                    var list = KvmFlagList.ForNode("pve1", flags.Select(f => new KvmFlagEntry(f.Name, f.SupportedOn)), cpuinfo, CpuCatalog.Default.QemuFlags, "fuzz");
                    Assert.True(list is null || list.GivenCount > 0);
                }
                catch (ProxmoxShapeException)
                {
                    // A wrong shape is refused with a message; the caller falls back to cpuinfo.
                }
            }
        }

        Assert.Equal(Fuzz.Cases(500), cases);
    }
}
