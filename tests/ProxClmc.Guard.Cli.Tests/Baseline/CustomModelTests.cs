using System.Text.Json;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Baseline;

/// <summary>
/// <c>baseline --custom-model NAME</c>: the section it prints, put into cpu-models.conf, makes a guest that uses it
/// <c>ok</c> on every node; with <c>--apply</c> it is written through the fake Proxmox (9.1.15, 9.2) or into
/// cpu-models.conf on a node, and a change made to the file after the plan is found and nothing is overwritten.
/// </summary>
public sealed class CustomModelTests : IDisposable
{
    private static readonly string[] ZenAndSapphireShared =
    [
        "sha-ni", "vaes", "vpclmulqdq", "gfni", "avx512vnni", "avx512-bf16", "avx512vbmi", "avx512vbmi2", "avx512bitalg",
        "avx512-vpopcntdq", "avx512ifma", "rdpid", "rdseed", "adx", "clwb", "clflushopt",
    ];

    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private static string Corosync(params string[] nodes) =>
        "totem {\n  cluster_name: corpus\n  version: 2\n}\nnodelist {\n"
        + string.Concat(nodes.Select((n, i) => $"  node {{\n    name: {n}\n    nodeid: {i + 1}\n    ring0_addr: 10.0.0.{i + 1}\n  }}\n"))
        + "}\n";

    /// <summary>A snapshot of nodes made from corpus cpuinfo files, with one VM on the first node.</summary>
    private TempTree Cluster(params (string Node, string CpuInfo)[] nodes)
    {
        _tree.Write(Corosync([.. nodes.Select(n => n.Node)]), "corosync.conf");
        foreach (var (node, cpuinfo) in nodes)
        {
            _tree.AddNode(node, GuardRun.CpuInfo(cpuinfo));
            Directory.CreateDirectory(_tree.PathOf("nodes", node, "qemu-server"));
        }

        return _tree;
    }

    private static string SectionOf(string stdout) =>
        Regex.Match(stdout, @"^cpu-model: .*?\n\n", RegexOptions.Multiline | RegexOptions.Singleline).Value;

    /// <summary>Puts the printed section into the snapshot's cpu-models.conf, gives VM 990 cpu: custom-NAME, and scans it.</summary>
    private static JsonElement ScanGuestUsing(string root, string node, string name, string section)
    {
        var models = Path.Combine(root, "virtual-guest", "cpu-models.conf");
        Directory.CreateDirectory(Path.GetDirectoryName(models)!);
        File.AppendAllText(models, (File.Exists(models) ? "\n" : "") + section);
        File.WriteAllText(Path.Combine(root, "nodes", node, "qemu-server", "990.conf"), $"name: uses-{name}\nmemory: 2048\ncpu: custom-{name}\n");
        var scan = GuardRun.Run("scan", "--from", root, "--vmid", "990", "--format", "json");
        using var doc = JsonDocument.Parse(scan.Out);
        return doc.RootElement.GetProperty("guests").EnumerateArray().Single().Clone();
    }

    private static void AssertOkOnEveryNode(JsonElement guest, int nodes)
    {
        Assert.Equal("ok", guest.GetProperty("verdict").GetString());
        var fits = guest.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(nodes, fits.Count);
        Assert.All(fits, f => Assert.True(f.GetProperty("canRun").GetBoolean(), f.ToString()));
    }

    private static IReadOnlySet<string> Flags(string section) =>
        Regex.Match(section, @"\tflags (\S+)").Groups[1].Value.Split(';').Select(f => f.TrimStart('+')).ToHashSet(StringComparer.Ordinal);

    private static void AssertFlagsOnEveryNode(string root, string section)
    {
        foreach (var flag in Flags(section))
        {
            var mapping = Core.Catalog.CpuCatalog.Default.MapQemuFlag(flag);
            Assert.NotNull(mapping);
            foreach (var cpuinfo in Directory.GetFiles(Path.Combine(root, "nodes"), "cpuinfo", SearchOption.AllDirectories))
            {
                var shown = File.ReadAllLines(cpuinfo).First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(':')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Assert.All(mapping.CpuinfoFlags, c => Assert.Contains(c, shown));
            }
        }
    }

    [Fact]
    public void Lab_the_printed_section_makes_a_guest_ok_on_every_node()
    {
        var lab = new TempTree();
        try
        {
            lab.CopyFrom(GuardRun.Lab);
            var run = GuardRun.Run("baseline", "--from", lab.Root, "--custom-model", "lab-best");
            var section = SectionOf(run.Out);

            Assert.True(run.Exit == 0, run.ToString());
            Assert.StartsWith("cpu-model: lab-best\n\tflags +", section, StringComparison.Ordinal);
            Assert.Contains("\treported-model SandyBridge-IBRS\n", section, StringComparison.Ordinal);
            Assert.Contains("# What a guest gains over x86-64-v2-AES:", run.Out, StringComparison.Ordinal);
            Assert.Contains("# A dry run from --from: nothing saved.", run.Out, StringComparison.Ordinal);
            Assert.DoesNotContain("phys-bits", section, StringComparison.Ordinal);
            AssertFlagsOnEveryNode(lab.Root, section);
            AssertOkOnEveryNode(ScanGuestUsing(lab.Root, "pve1", "lab-best", section), 4);
        }
        finally
        {
            lab.Dispose();
        }
    }

    [Fact]
    public void Zen4_and_Sapphire_Rapids_the_section_keeps_every_shared_feature_and_is_ok_on_both()
    {
        var root = Cluster(("zen4", "amd-epyc-9654-zen4.txt"), ("spr", "intel-xeon-platinum-8480plus-sapphirerapids.txt")).Root;

        var run = GuardRun.Run("baseline", "--from", root, "--custom-model", "cluster", "--phys-bits");
        var section = SectionOf(run.Out);

        Assert.Equal(1, run.Exit); // the vendor mix is a warning, as for baseline
        Assert.Contains("\treported-model qemu64\n", section, StringComparison.Ordinal);
        Assert.Matches(@"\tphys-bits \d+\n", section);
        Assert.Contains("over x86-64-v4", run.Out, StringComparison.Ordinal);
        Assert.Contains("sha-ni", Regex.Match(run.Out, "^#   \\+ .*\\(crypto and hashing\\)$", RegexOptions.Multiline).Value, StringComparison.Ordinal);
        Assert.Contains("# Unverified against KVM on zen4, spr", run.Out, StringComparison.Ordinal);
        var flags = Flags(section);
        Assert.All(ZenAndSapphireShared, f => Assert.Contains(f, flags));
        AssertFlagsOnEveryNode(root, section);
        AssertOkOnEveryNode(ScanGuestUsing(root, "spr", "cluster", section), 2);
    }

    [Fact]
    public void Three_Intel_nodes_the_section_is_ok_on_all_three()
    {
        var root = Cluster(
            ("hsw", "intel-xeon-e5-2680v3-haswell.txt"),
            ("bdw", "intel-xeon-e5-2690v4-broadwell.txt"),
            ("sky", "intel-xeon-gold-6132-skylake-sp.txt")).Root;

        var run = GuardRun.Run("baseline", "--from", root, "--custom-model", "intel3");
        var section = SectionOf(run.Out);

        Assert.True(run.Exit == 0, run.ToString());
        Assert.DoesNotContain("reported-model qemu64", section, StringComparison.Ordinal);
        AssertFlagsOnEveryNode(root, section);
        AssertOkOnEveryNode(ScanGuestUsing(root, "sky", "intel3", section), 3);
    }

    [Fact]
    public void Json_gives_the_model_with_each_flags_node_sources()
    {
        var root = Cluster(("zen4", "amd-epyc-9654-zen4.txt"), ("spr", "intel-xeon-platinum-8480plus-sapphirerapids.txt")).Root;

        var run = GuardRun.Run("baseline", "--from", root, "--custom-model", "custom-cluster", "--format", "json");

        using var doc = JsonDocument.Parse(run.Out);
        var model = doc.RootElement.GetProperty("customModel");
        Assert.Equal("cluster", model.GetProperty("name").GetString());
        Assert.Equal("qemu64", model.GetProperty("reportedModel").GetString());
        Assert.Equal(JsonValueKind.Null, model.GetProperty("physBits").ValueKind);
        var flags = model.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!).ToList();
        Assert.Contains("sha-ni", flags);
        Assert.StartsWith("cpu-model: cluster\n", model.GetProperty("section").GetString(), StringComparison.Ordinal);
        Assert.Equal("cpuinfo", model.GetProperty("sources").GetProperty("sha-ni").GetProperty("zen4").GetString());
        Assert.Equal("cpuinfo", model.GetProperty("sources").GetProperty("sha-ni").GetProperty("spr").GetString());
        Assert.Equal("ok", model.GetProperty("verdict").GetString());
        Assert.Equal(flags.Count, model.GetProperty("sources").EnumerateObject().Count());
    }

    [Theory]
    [InlineData("bad name")]
    [InlineData("9lives")]
    public void A_name_Proxmox_refuses_is_a_usage_error(string name)
    {
        var run = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--custom-model", name);

        Assert.Equal(64, run.Exit);
        Assert.Empty(run.Out);
        Assert.Contains("is not a name Proxmox accepts", run.Error, StringComparison.Ordinal);
    }

    private static string PlanId(CliResult plan)
    {
        var match = Regex.Match(plan.Out, @"--apply (\d{8}-\d{6}-[0-9a-f]{4})`");
        Assert.True(match.Success, plan.ToString());
        return match.Groups[1].Value;
    }

    [Theory]
    [InlineData("9.1.15")]
    [InlineData("9.2")]
    public async Task Apply_through_the_API_writes_the_model_and_a_guest_using_it_is_ok(string release)
    {
        await using var pve = await FakePveFixture.StartAsync(release: PveRelease.Parse(release));
        var config = FakePveFixture.WriteConfig(pve, _tree.Root, extra: $"[fix]\nundo_dir = \"{_tree.PathOf("undo")}\"");

        var plan = GuardRun.Run("baseline", "--custom-model", "lab-best", "--config", config);
        var before = pve.GetCpuModelsConf();
        var apply = GuardRun.Run("baseline", "--custom-model", "lab-best", "--apply", PlanId(plan), "--config", config);
        var again = GuardRun.Run("baseline", "--custom-model", "lab-best", "--apply", PlanId(plan), "--config", config);

        Assert.True(plan.Exit == 0, plan.ToString());
        Assert.Equal(before, File.ReadAllText(Path.Combine(GuardRun.Lab, "virtual-guest", "cpu-models.conf")));
        Assert.True(apply.Exit == 0, apply.ToString());
        Assert.Contains("# Wrote custom-lab-best to the Proxmox API", apply.Out, StringComparison.Ordinal);
        Assert.Contains(SectionOf(plan.Out), pve.GetCpuModelsConf(), StringComparison.Ordinal);
        Assert.Contains("cpu-model: lab-sandy\n", pve.GetCpuModelsConf(), StringComparison.Ordinal);
        Assert.Equal(64, again.Exit);
        Assert.Contains("applied already", again.Error, StringComparison.Ordinal);

        // The model is now defined: a second plan finds it unchanged, and fix --to best may use it.
        var unchanged = GuardRun.Run("baseline", "--custom-model", "lab-best", "--config", config);
        Assert.Contains("# custom-lab-best is already defined exactly so", unchanged.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_to_cpu_models_conf_after_the_plan_is_found_and_nothing_is_overwritten()
    {
        await using var pve = await FakePveFixture.StartAsync();
        var config = FakePveFixture.WriteConfig(pve, _tree.Root, extra: $"[fix]\nundo_dir = \"{_tree.PathOf("undo")}\"");
        var plan = GuardRun.Run("baseline", "--custom-model", "lab-best", "--config", config);
        var theirs = pve.GetCpuModelsConf() + "cpu-model: someone-else\n\treported-model kvm64\n\n";
        pve.SetCpuModelsConf(theirs);

        var apply = GuardRun.Run("baseline", "--custom-model", "lab-best", "--apply", PlanId(plan), "--config", config);

        Assert.Equal(2, apply.Exit);
        Assert.Contains("changed since the plan", apply.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was overwritten", apply.Error, StringComparison.Ordinal);
        Assert.Equal(theirs, pve.GetCpuModelsConf());
    }

    [Fact]
    public async Task A_model_of_that_name_that_differs_is_replaced_only_with_replace_and_both_are_shown()
    {
        await using var pve = await FakePveFixture.StartAsync();
        var config = FakePveFixture.WriteConfig(pve, _tree.Root, extra: $"[fix]\nundo_dir = \"{_tree.PathOf("undo")}\"");
        var original = pve.GetCpuModelsConf();

        var refused = GuardRun.Run("baseline", "--custom-model", "lab-sandy", "--apply", "--config", config);
        Assert.Equal(2, refused.Exit);
        Assert.Contains("use --replace", refused.Error, StringComparison.Ordinal);
        Assert.Contains("#   cpu-model: lab-sandy", refused.Out, StringComparison.Ordinal);
        Assert.Contains("#       flags +aes;+pcid", refused.Out, StringComparison.Ordinal);
        Assert.Contains("cpu-model: lab-sandy\n\tflags", refused.Out, StringComparison.Ordinal);
        Assert.Equal(original, pve.GetCpuModelsConf());

        var replaced = GuardRun.Run("baseline", "--custom-model", "lab-sandy", "--replace", "--apply", "--config", config);
        Assert.True(replaced.Exit == 0, replaced.ToString());
        Assert.Contains(SectionOf(replaced.Out), pve.GetCpuModelsConf(), StringComparison.Ordinal);
        Assert.Contains("cpu-model: lab-avx512\n", pve.GetCpuModelsConf(), StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_on_a_node_writes_cpu_models_conf_under_Proxmoxs_lock_and_checks_its_digest()
    {
        var lab = new TempTree();
        try
        {
            lab.CopyFrom(GuardRun.Lab);
            Directory.CreateDirectory(lab.PathOf("priv", "lock"));
            var config = lab.Write(
                $"[cluster]\npve_root = \"{lab.Root}\"\ncorosync_conf = \"{lab.PathOf("corosync.conf")}\"\nlocal_node = \"pve1\"\n\n"
                + $"[facts]\nsource = \"local\"\nlocal_cpuinfo = \"{lab.PathOf("nodes", "pve1", "cpuinfo")}\"\n\n[fix]\nundo_dir = \"{lab.PathOf("undo")}\"\n",
                "guard.toml");
            string[] onlyPve1 = ["--without-node", "pve2", "--without-node", "pve3", "--without-node", "pve4"];
            var conf = lab.PathOf("virtual-guest", "cpu-models.conf");
            var original = File.ReadAllText(conf);

            var plan = GuardRun.Run(["baseline", "--custom-model", "node-best", "--config", config, .. onlyPve1]);
            Assert.True(plan.Exit == 0, plan.ToString());
            Assert.Contains($"in {conf}.", plan.Out, StringComparison.Ordinal);
            Assert.Equal(original, File.ReadAllText(conf));

            // Someone edits the file between plan and apply: the digest differs, nothing is written.
            File.AppendAllText(conf, "\ncpu-model: edited\n\treported-model kvm64\n");
            var edited = File.ReadAllText(conf);
            var refused = GuardRun.Run(["baseline", "--custom-model", "node-best", "--apply", PlanId(plan), "--config", config, .. onlyPve1]);
            Assert.Equal(2, refused.Exit);
            Assert.Contains("changed since the plan", refused.Error, StringComparison.Ordinal);
            Assert.Equal(edited, File.ReadAllText(conf));

            // A new plan sees the edit and appends beside it, under the lock, which it releases.
            var fresh = GuardRun.Run(["baseline", "--custom-model", "node-best", "--config", config, .. onlyPve1]);
            var apply = GuardRun.Run(["baseline", "--custom-model", "node-best", "--apply", PlanId(fresh), "--config", config, .. onlyPve1]);
            Assert.True(apply.Exit == 0, apply.ToString());
            var written = File.ReadAllText(conf);
            Assert.StartsWith(edited, written, StringComparison.Ordinal);
            Assert.EndsWith(SectionOf(fresh.Out), written, StringComparison.Ordinal);
            Assert.False(Directory.Exists(lab.PathOf("priv", "lock", "file-virtual-guest_cpu-models_conf")));
        }
        finally
        {
            lab.Dispose();
        }
    }
}
