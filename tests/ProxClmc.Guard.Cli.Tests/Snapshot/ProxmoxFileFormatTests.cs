using ProxClmc.Guard.Application.Snapshot;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Cli.Tests.Snapshot;

/// <summary>Files rebuilt from API answers read back through the same parsers as /etc/pve and real /proc/cpuinfo.</summary>
public sealed class ProxmoxFileFormatTests
{
    [Fact]
    public void A_vm_config_from_the_api_reads_back_with_its_description_pending_changes_and_snapshots()
    {
        var text = ProxmoxFileFormat.VmConfig(
        [
            new ConfigSection(null, new Dictionary<string, string>
            {
                ["description"] = "Line one: 100% done\nZweite Zeile – ünïcode\n#not a key: x",
                ["name"] = "db1",
                ["cpu"] = "x86-64-v3,flags=+aes",
                ["parent"] = "before-upgrade",
                ["digest"] = "abc",
                ["args"] = "-cpu host -smp 2",
            }),
            new ConfigSection("PENDING", new Dictionary<string, string> { ["cpu"] = "host" }, ["kvm", "args"]),
            new ConfigSection("before-upgrade", new Dictionary<string, string> { ["cpu"] = "kvm64", ["runningcpu"] = "kvm64,+sep", ["vmstate"] = "local:state-1", ["snaptime"] = "1700000000" }),
        ]);

        var config = VmConfig.Parse(text, "api.conf").GetValueOrThrow();

        Assert.Empty(config.Warnings);
        Assert.Equal("Line one: 100% done\nZweite Zeile – ünïcode\n#not a key: x", config.Description.TrimEnd('\n'));
        Assert.Equal("x86-64-v3,flags=+aes", config.Main.Get("cpu"));
        Assert.Equal("-cpu host -smp 2", config.Main.Get("args"));
        Assert.Null(config.Main.Get("digest"));
        Assert.Equal("host", config.Pending!.Get("cpu"));
        Assert.Equal(["kvm", "args"], config.PendingDeletes);
        var snapshot = Assert.Single(config.Snapshots);
        Assert.Equal("before-upgrade", snapshot.Name);
        Assert.Equal("kvm64,+sep", snapshot.Get("runningcpu"));
        Assert.Equal("local:state-1", snapshot.Get("vmstate"));
        Assert.StartsWith("#Line one: 100%25 done\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_synthesized_cpuinfo_parses_to_the_facts_it_was_made_from()
    {
        var api = CpuInfoParser.FromApi(
            "Intel(R) Xeon(R) CPU E5-2650 v2 @ 2.60GHz",
            "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc " +
            "rep_good nopl xtopology nonstop_tsc cpuid tsc_known_freq pni pclmulqdq ssse3 cx16 pcid sse4_1 sse4_2 x2apic popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm",
            "api").GetValueOrThrow();

        var parsed = CpuInfoParser.Parse(ProxmoxFileFormat.CpuInfo(api), "synthesized").GetValueOrThrow();

        Assert.Equal(api.VendorId, parsed.VendorId);
        Assert.Equal("GenuineIntel", parsed.VendorId);
        Assert.Equal(api.ModelName, parsed.ModelName);
        Assert.Equal(api.Flags.Order(), parsed.Flags.Order());
        Assert.Equal(api.Architecture, parsed.Architecture);
        Assert.Null(parsed.PhysicalAddressBits);
        Assert.Null(parsed.Family);
        Assert.Empty(parsed.Warnings);
    }

    [Theory]
    [InlineData("pve1", true)]
    [InlineData("node-2.example", true)]
    [InlineData("..", false)]
    [InlineData("../etc", false)]
    [InlineData("a/b", false)]
    [InlineData(".hidden", false)]
    [InlineData("", false)]
    [InlineData("nul\0byte", false)]
    public void Only_names_a_proxmox_node_can_have_become_folders(string name, bool safe) =>
        Assert.Equal(safe, ProxmoxGrammar.IsSafeNodeName(name));

    // A hostile API answer tries to add lines to the snapshot's files: each is refused before anything is written.
    [Theory]
    [InlineData("args", "-cpu host\nhookscript: local:snippets/evil.pl", "value of 'args' holds control characters")]
    [InlineData("cpu\nhookscript", "local:snippets/evil.pl", "config key 'cpu\\x0Ahookscript' is not a Proxmox config key")]
    [InlineData("Cpu", "host", "config key 'Cpu' is not a Proxmox config key")]
    [InlineData("name", "db\u001b[2J", "value of 'name' holds control characters")]
    public void A_config_key_or_value_outside_proxmox_grammar_is_refused(string key, string value, string expected)
    {
        var error = Assert.Throws<SnapshotPathException>(() => ProxmoxFileFormat.VmConfig([new ConfigSection(null, new Dictionary<string, string> { [key] = value })]));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.EndsWith("; not written", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_snapshot_name_or_pending_delete_outside_proxmox_grammar_is_refused()
    {
        Assert.Contains("section name 'x]\\x0A[PENDING' is not", Assert.Throws<SnapshotPathException>(() => ProxmoxFileFormat.VmConfig(
            [new ConfigSection("x]\n[PENDING", new Dictionary<string, string> { ["cpu"] = "host" })])).Message, StringComparison.Ordinal);
        Assert.Contains("config key 'cpu,args\\x0Ahookscript' is not", Assert.Throws<SnapshotPathException>(() => ProxmoxFileFormat.VmConfig(
            [new ConfigSection("PENDING", new Dictionary<string, string>(), ["cpu,args\nhookscript"])])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pve1\n  }\n  node {\n    name: evil", "10.0.0.1", "node name 'pve1\\x0A  }")]
    [InlineData("pve1", "10.0.0.1\n    ring1_addr: 192.0.2.66", "address '10.0.0.1\\x0A    ring1_addr: 192.0.2.66' of node pve1 is neither")]
    public void A_node_name_or_address_outside_proxmox_grammar_is_refused_for_corosync_conf(string node, string address, string expected)
    {
        var membership = new ClusterMembership("lab", [new ClusterNode(node, 1, [new NodeLink(0, address)])]);

        var error = Assert.Throws<SnapshotPathException>(() => ProxmoxFileFormat.CorosyncConf(membership));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ip_addresses_and_host_names_are_accepted_for_corosync_conf()
    {
        var membership = new ClusterMembership("lab", [new ClusterNode("pve1", 1, [new NodeLink(0, "fd00::1"), new NodeLink(1, "pve1.example.com")])]);

        var text = ProxmoxFileFormat.CorosyncConf(membership);

        Assert.Contains("ring0_addr: fd00::1\n", text, StringComparison.Ordinal);
        Assert.Contains("ring1_addr: pve1.example.com\n", text, StringComparison.Ordinal);
    }
}
