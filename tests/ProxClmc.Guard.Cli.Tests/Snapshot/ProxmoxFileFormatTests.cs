using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Snapshots;

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
                ["args"] = "-cpu host\n-smp 2",
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
        Assert.Equal(safe, SnapshotFolder.IsSafeNodeName(name));
}
