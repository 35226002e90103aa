using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Scan;

/// <summary>
/// Given Fixtures/mixed-vendor-cluster (Haswell-EP and Skylake-SP Intel nodes and an EPYC Zen 4 node, one VM per
/// rule of what qemu-server really starts), <c>scan --from</c> the folder and <c>scan</c> through the fake Proxmox
/// serving the same folder judge each guest by the CPU Proxmox gives it. Notes that only the file can show (the
/// cpu value Proxmox drops, lines it ignores) appear only with <c>--from</c>: Proxmox's API never returns them.
/// </summary>
public sealed class ProxmoxCpuSemanticsTests : IAsyncLifetime
{
    private static readonly string Cluster = GuardRun.Fixture("mixed-vendor-cluster");
    private FakeProxmox _pve = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions { SnapshotDir = Cluster });
        _dir = Directory.CreateTempSubdirectory("proxclmc-semantics-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _pve.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed record Judged(string Verdict, string Cpu, string Reason, IReadOnlyDictionary<string, (string Text, bool Warning)> Notes, JsonElement Nodes);

    private static Dictionary<int, Judged> Guests(CliResult result)
    {
        using var doc = JsonDocument.Parse(result.Out);
        return doc.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(
            g => g.GetProperty("vmid").GetInt32(),
            g => new Judged(
                g.GetProperty("verdict").GetString()!,
                g.GetProperty("cpu").GetString()!,
                g.GetProperty("reason").GetString()!,
                g.GetProperty("notes").EnumerateArray().GroupBy(n => n.GetProperty("code").GetString()!)
                    .ToDictionary(n => n.Key, n => (string.Join(" | ", n.Select(x => x.GetProperty("text").GetString())), n.Any(x => x.GetProperty("warning").GetBoolean()))),
                g.GetProperty("nodes").Clone()));
    }

    private (Dictionary<int, Judged> File, Dictionary<int, Judged> Api) ScanBoth(params string[] extra)
    {
        var offline = GuardRun.Run(["scan", "--from", Cluster, "--format", "json", .. extra]);
        var config = Path.Combine(_dir, "guard.toml");
        File.WriteAllText(config, $"""
            [api]
            url = "{_pve.Url}"
            token_id = "{FakeProxmox.TokenId}"
            token_secret_file = "{_pve.TokenFile}"
            ca_file = "{_pve.CaCertificatePath}"
            timeout_seconds = {ServerTimeouts.AnswerSeconds}

            [facts]
            source = "api"
            cache_file = "{_dir}/facts-cache.json"
            """);
        var live = GuardRun.Run(["scan", "--config", config, "--format", "json", .. extra]);

        // 211 uses a custom model Proxmox refuses (invalid-config): "could not determine" wins, on both paths.
        Assert.True(offline.Exit == 3, offline.ToString());
        Assert.True(live.Exit == 3, live.ToString());
        var file = Guests(offline);
        var api = Guests(live);
        Assert.Equal(file.OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Value.Verdict}"), api.OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Value.Verdict}"));
        return (file, api);
    }

    private static string VmFile(string node, int vmId) => Path.Combine(Cluster, "nodes", node, "qemu-server", $"{vmId}.conf");

    [Fact]
    public void A_cpu_value_Proxmox_drops_is_judged_as_the_kvm64_it_starts()
    {
        var (file, api) = ScanBoth();

        foreach (var (vmId, line, why) in new[] { (201, 3, "flag 'avx2' is not allowed in a VM config"), (202, 3, "flag 'md_clear' is not allowed in a VM config"), (203, 3, "unknown key 'bogus'") })
        {
            Assert.Equal("ok", file[vmId].Verdict);
            Assert.Equal("every node can run kvm64", file[vmId].Reason);
            var note = file[vmId].Notes["cpu-dropped"];
            Assert.True(note.Warning);
            Assert.Equal($"{VmFile("hsw", vmId)}:{line}: {why}: Proxmox ignores this cpu value and starts kvm64", note.Text);

            // Proxmox's own GET drops the value: the guest arrives without cpu, the same verdict without the note.
            Assert.Equal("kvm64 (default)", api[vmId].Cpu);
            Assert.False(api[vmId].Notes.ContainsKey("cpu-dropped"));
        }

        // The same in [PENDING] and in a snapshot section.
        Assert.Contains("x86-64-v2-AES,flags=+avx2, which Proxmox ignores (flag 'avx2' is not allowed in a VM config): kvm64 at the next cold start (ok)", file[204].Notes["pending-change"].Text, StringComparison.Ordinal);
        Assert.Contains("Proxmox ignores it and a rollback starts kvm64", file[205].Notes["snapshot-cpu"].Text, StringComparison.Ordinal);
        Assert.True(file[204].Notes["pending-change"].Warning);
        Assert.Equal("ok", file[204].Verdict);
        Assert.Equal("ok", file[205].Verdict);
    }

    [Fact]
    public void Lines_Proxmox_ignores_are_a_warning_naming_file_and_line()
    {
        var (file, api) = ScanBoth();

        var note = file[206].Notes["config-ignored-lines"];
        Assert.True(note.Warning);
        Assert.Contains($"{VmFile("hsw", 206)}:4:1: unable to parse config: this line has no colon", note.Text, StringComparison.Ordinal);
        Assert.Contains($"{VmFile("hsw", 206)}:12:1: unable to parse config:", note.Text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0001', note.Text);
        Assert.Equal("ok", file[206].Verdict);
        Assert.False(api[206].Notes.ContainsKey("config-ignored-lines"));
    }

    [Fact]
    public void A_VMID_under_two_nodes_is_a_warning_on_both()
    {
        using var tree = new TempTree().CopyFrom(Cluster);
        File.Copy(VmFile("hsw", 222), tree.PathOf("nodes", "sky", "qemu-server", "222.conf"));

        var result = GuardRun.Run("scan", "--from", tree.Root, "--format", "json", "--vmid", "222");

        using var doc = JsonDocument.Parse(result.Out);
        var both = doc.RootElement.GetProperty("guests").EnumerateArray().ToList();
        Assert.Equal(2, both.Count);
        Assert.All(both, g =>
        {
            var note = Assert.Single(g.GetProperty("notes").EnumerateArray(), n => n.GetProperty("code").GetString() == "duplicate-vmid");
            Assert.True(note.GetProperty("warning").GetBoolean());
            Assert.Contains("VMID 222 exists under 2 nodes (", note.GetProperty("text").GetString(), StringComparison.Ordinal);
        });
        Assert.True(result.Exit == 1, result.ToString());
    }

    [Fact]
    public void Level_is_an_unsigned_32_bit_integer()
    {
        var (file, api) = ScanBoth();

        Assert.Equal("ok", file[208].Verdict);
        Assert.Equal("x86-64-v2-AES,level=4294967295", api[208].Cpu);
        Assert.Empty(file[208].Notes);
    }

    [Fact]
    public void A_broken_custom_model_affects_only_its_guests_and_never_stops_the_scan()
    {
        var (file, api) = ScanBoth();
        var models = Path.Combine(Cluster, "virtual-guest", "cpu-models.conf");

        // An unknown property is ignored with a warning; the rest of the model stands.
        Assert.Equal("exceeds-baseline", file[209].Verdict); // SandyBridge is Intel's: the EPYC node refuses it
        Assert.Contains($"{models}:4:5: unknown property 'colour'", file[209].Notes["config-ignored-lines"].Text, StringComparison.Ordinal);
        // A line outside any model affects no model: it is listed on the guests that use custom models.
        Assert.Contains($"{models}:14:1: 'stray-property 1' is outside any 'cpu-model:' section: Proxmox ignores it", file[209].Notes["config-ignored-lines"].Text, StringComparison.Ordinal);
        // A flags line Proxmox ignores changes what the model asks: its guests cannot be judged from it.
        Assert.Equal("unverified", file[210].Verdict);
        Assert.StartsWith($"custom model 'lab-broken': {models}:8:11: flags:", file[210].Reason, StringComparison.Ordinal);
        // reported-model must be a built-in model: a custom one is refused (no chain of custom models).
        Assert.Equal("invalid-config", file[211].Verdict);
        Assert.Equal($"custom model 'lab-chain': {models}:12:20: reported-model 'custom-lab-ok' is not a built-in CPU model (Proxmox allows only QEMU's models there and ignores this line)", file[211].Reason);
        Assert.Equal("invalid-config", api[211].Verdict);
        Assert.Equal(22, file.Count);
    }

    [Fact]
    public void A_custom_model_reporting_another_custom_model_is_refused_by_check_too()
    {
        var result = GuardRun.Run("check", "211", "--from", Cluster);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("reported-model 'custom-lab-ok' is not a built-in CPU model", result.Out + result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Vendor_specific_flags_run_only_on_nodes_of_their_vendor()
    {
        var (file, api) = ScanBoth();

        // virt-ssbd: KVM on AMD offers it from ssbd; Intel never.
        Assert.Equal("exceeds-baseline", file[212].Verdict);
        Assert.Equal("cannot run on hsw (lacks virt-ssbd (not on Intel)); sky (lacks virt-ssbd (not on Intel))", file[212].Reason);
        Assert.Equal(file[212].Reason, api[212].Reason);
        // nested-virt is vmx on the Intel node it starts on, and a migration carries exactly that.
        Assert.Equal("cannot run on epyc (lacks nested-virt (not on AMD))", file[213].Reason);
        // hv-evmcs needs Intel VMX.
        Assert.Equal("cannot run on epyc (lacks hv-evmcs (not on AMD))", file[214].Reason);
        // win11 with machine 11.0+pve2 on Intel: Proxmox adds hv_evmcs by itself.
        Assert.Equal("ok", file[215].Verdict);
        Assert.Contains("Proxmox adds hv-evmcs", file[215].Notes["vendor-mix"].Text, StringComparison.Ordinal);
        Assert.Contains("Proxmox adds hv-evmcs", api[215].Notes["vendor-mix"].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Flags_Proxmox_subtracts_by_itself_are_not_required_of_a_node()
    {
        // An Opteron 2374 HE (K10 Shanghai) shows no rdtscp; Proxmox starts every Opteron* model with -rdtscp.
        var (file, api) = ScanBoth("--assume-node", "k10=" + GuardRun.CpuInfo("amd-opteron-2374he-k10-shanghai.txt"));

        static IReadOnlyList<string> K10Lacks(Judged judged) =>
            judged.Nodes.EnumerateArray().Single(n => n.GetProperty("node").GetString() == "k10")
                .GetProperty("missingFlags").EnumerateArray().Select(f => f.GetString()!).ToList();

        Assert.DoesNotContain("rdtscp", K10Lacks(file[216]));
        Assert.DoesNotContain("rdtscp", K10Lacks(api[216]));
        // The same model as a raw args -cpu gets none of Proxmox's changes: there rdtscp is needed.
        Assert.Contains("rdtscp", K10Lacks(file[223]));

        // Solaris: -x2apic (which KVM provides anyway): never asked of a node, not even of the K10 without it.
        Assert.DoesNotContain("x2apic", K10Lacks(file[217]));
    }

    [Fact]
    public void A_foreign_arch_is_emulated_and_a_raw_kvm64_is_QEMUs_own()
    {
        var (file, api) = ScanBoth();

        Assert.Equal("not-applicable", file[218].Verdict);
        Assert.Equal("arch: aarch64 on x86_64 nodes: emulated without KVM, no host CPU requirement", file[218].Reason);
        Assert.Equal("not-applicable", api[218].Verdict);
        Assert.Equal("every node can run kvm64-v1", file[219].Reason);
    }

    [Fact]
    public void A_versioned_model_name_older_Proxmox_releases_drop_gets_a_note()
    {
        var (file, api) = ScanBoth();

        Assert.Equal("Haswell-v2: Proxmox VE releases before May 2026 accept only a few versioned model names; they drop this cpu value and start kvm64", file[220].Notes["qemu-version"].Text);
        Assert.Equal(file[220].Notes["qemu-version"], api[220].Notes["qemu-version"]);
    }

    [Fact]
    public void Host_explanations_name_CPU_features_a_guest_can_see()
    {
        var (file, _) = ScanBoth();

        var reason = file[221].Reason;
        Assert.Equal("host-cpu", file[221].Verdict);
        Assert.Contains("hsw lacks 67 CPU features another node has (avx512cd, avx512f, avx512bw, avx512dq and 63 more)", reason, StringComparison.Ordinal);
        foreach (var bookkeeping in new[] { "pti", "cpuid", "hypervisor", "tsc_reliable", "acpi", "bts" })
        {
            Assert.DoesNotContain($" {bookkeeping},", reason, StringComparison.Ordinal);
        }
    }
}
