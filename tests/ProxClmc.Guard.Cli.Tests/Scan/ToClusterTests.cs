using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Scan;

/// <summary>
/// Given Fixtures/cross-cluster: "modern" (two Intel Xeon Scalable nodes and an EPYC Zen 4 node, 22 guests covering
/// levels, named models of both vendors, flags, args, host/max, kvm: 0 and four custom models) and "older" (EPYC Zen 1,
/// Opteron Piledriver and Haswell-EP: mostly AMD), both built from the corpus CPUs, <c>--to-cluster</c> answers
/// "can these guests go there?" (qm remote-migrate).
/// </summary>
public sealed class ToClusterTests : IDisposable
{
    private static readonly string Modern = GuardRun.Fixture("cross-cluster", "modern");
    private static readonly string Older = GuardRun.Fixture("cross-cluster", "older");

    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private static JsonElement Guests(CliResult result) => JsonDocument.Parse(result.Out).RootElement.GetProperty("guests");

    /// <summary>Per guest: the verdict and, per node, whether it can run there (null: not judged per node).</summary>
    private static Dictionary<int, (string Verdict, Dictionary<string, bool?> Nodes)> Answers(CliResult result) =>
        Guests(result).EnumerateArray().ToDictionary(
            g => g.GetProperty("vmid").GetInt32(),
            g => (g.GetProperty("verdict").GetString()!, g.GetProperty("nodes").EnumerateArray().ToDictionary(
                n => n.GetProperty("node").GetString()!,
                n => n.GetProperty("canRun").ValueKind == JsonValueKind.Null ? (bool?)null : n.GetProperty("canRun").GetBoolean())));

    /// <summary>The guests' configs of <paramref name="from"/>, each copied under one node of a copy of <paramref name="to"/>.</summary>
    private string CopiedInto(string from, string to, string node)
    {
        var tree = _tree.PathOf(Path.GetFileName(to) + "-with-" + Path.GetFileName(from));
        foreach (var file in Directory.EnumerateFiles(to, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(tree, Path.GetRelativePath(to, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        foreach (var config in Directory.EnumerateFiles(Path.Combine(from, "nodes"), "*.conf", SearchOption.AllDirectories))
        {
            File.Copy(config, Path.Combine(tree, "nodes", node, "qemu-server", Path.GetFileName(config)));
        }

        return tree;
    }

    [Theory]
    [InlineData("modern", "older", "old1")]
    [InlineData("older", "modern", "new3")]
    public void Every_guest_gets_the_verdict_it_would_get_if_its_config_were_copied_into_the_other_cluster(string from, string to, string node)
    {
        var fromDir = GuardRun.Fixture("cross-cluster", from);
        var toDir = GuardRun.Fixture("cross-cluster", to);
        var cross = GuardRun.Run("scan", "--from", fromDir, "--to-cluster", toDir, "--format", "json");
        var copied = GuardRun.Run("scan", "--from", CopiedInto(fromDir, toDir, node), "--format", "json");

        var crossAnswers = Answers(cross);
        var copiedAnswers = Answers(copied);
        var guests = Directory.EnumerateFiles(Path.Combine(fromDir, "nodes"), "*.conf", SearchOption.AllDirectories)
            .Select(f => int.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(guests.Order(), crossAnswers.Keys.Order());
        foreach (var vmid in guests)
        {
            var copiedCpu = File.ReadAllText(Directory.EnumerateFiles(fromDir, $"{vmid}.conf", SearchOption.AllDirectories).Single());
            if (copiedCpu.Contains("custom-drifted", StringComparison.Ordinal))
            {
                // Defined differently on each side: copied, it would use the other cluster's definition; moved, Proxmox refuses it.
                Assert.Equal("exceeds-baseline", crossAnswers[vmid].Verdict);
                Assert.All(crossAnswers[vmid].Nodes.Values, canRun => Assert.False(canRun));
                continue;
            }

            Assert.True(crossAnswers[vmid].Verdict == copiedAnswers[vmid].Verdict, $"VM {vmid}: --to-cluster says {crossAnswers[vmid].Verdict}, copied says {copiedAnswers[vmid].Verdict}");
            Assert.True(
                crossAnswers[vmid].Nodes.OrderBy(n => n.Key).SequenceEqual(copiedAnswers[vmid].Nodes.OrderBy(n => n.Key)),
                $"VM {vmid}: per node --to-cluster {string.Join(", ", crossAnswers[vmid].Nodes)}; copied {string.Join(", ", copiedAnswers[vmid].Nodes)}");
        }

        Assert.Equal(copied.Exit == 0 ? 0 : cross.Exit, cross.Exit);
    }

    [Fact]
    public void Scan_gives_one_line_per_guest_with_the_nodes_it_can_go_to_and_what_the_others_lack()
    {
        var result = GuardRun.Run("scan", "--from", Modern, "--to-cluster", Older);

        Assert.Equal(2, result.Exit);
        Assert.Contains("Cluster older: 3 nodes", result.Out, StringComparison.Ordinal);
        Assert.Contains("Cluster CPU type: x86-64-v2-AES", result.Out, StringComparison.Ordinal);
        var line = Assert.Single(result.OutLines, l => l.TrimStart().StartsWith("303 ", StringComparison.Ordinal));
        Assert.Matches(@"303\s+app-v3\s+x86-64-v3\s+only to some\s+to old1, old3; not old2: lacks avx2, bmi2, movbe", line);
        Assert.Matches(@"302\s+web-v2aes\s+x86-64-v2-AES\s+can go\s+to old1, old2, old3", Assert.Single(result.OutLines, l => l.TrimStart().StartsWith("302 ", StringComparison.Ordinal)));
        Assert.Matches(@"310\s+missing-there\s+custom-here-only\s+CANNOT GO\s+custom-here-only is not defined on older", Assert.Single(result.OutLines, l => l.TrimStart().StartsWith("310 ", StringComparison.Ordinal)));
        Assert.Equal("proxclmc-guard: 17 guests cannot go to every node of older: 303, 304, 305, 306, 307, 309, 311, 312, 314, 315, 316, 317, 318, 320, 308, 321, 310", result.ErrorLines[^1]);
    }

    [Fact]
    public void Scan_filters_work_as_in_scan_and_a_filter_that_matches_nothing_is_a_usage_error()
    {
        var filtered = GuardRun.Run("scan", "--from", Modern, "--to-cluster", Older, "--vmid", "302", "--format", "json");
        Assert.Equal(0, filtered.Exit);
        Assert.Equal([302], Answers(filtered).Keys);

        var typo = GuardRun.Run("scan", "--from", Modern, "--to-cluster", Older, "--node", "nwe1");
        Assert.Equal(64, typo.Exit);
        Assert.StartsWith("proxclmc-guard: --node nwe1: no such node in the cluster", typo.ErrorLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Check_prints_a_table_per_node_and_exits_1_when_only_some_nodes_can_run_the_guest()
    {
        var result = GuardRun.Run("check", "303", "--from", Modern, "--to-cluster", Older);

        Assert.Equal(1, result.Exit);
        Assert.Matches(@"^  old1\s+can run\s+ok$", result.OutLines[1]);
        Assert.Matches(@"^  old2\s+CANNOT\s+lacks avx2, bmi2, movbe$", result.OutLines[2]);
        Assert.Matches(@"^  old3\s+can run\s+ok$", result.OutLines[3]);
        Assert.Equal("proxclmc-guard: VM 303 can run only on old1, old3 of older, not on old2", result.ErrorLines[^1]);
    }

    [Fact]
    public void Check_exits_0_when_every_node_can_and_2_when_none_can()
    {
        Assert.Equal(0, GuardRun.Run("check", "302", "--from", Modern, "--to-cluster", Older).Exit);

        var none = GuardRun.Run("check", "304", "--from", Modern, "--to-cluster", Older);
        Assert.Equal(2, none.Exit);
        Assert.Equal("proxclmc-guard: VM 304 cannot run on any node of older", none.ErrorLines[^1]);
    }

    [Fact]
    public void Check_with_target_judges_that_node_alone()
    {
        var yes = GuardRun.Run("check", "303", "--from", Modern, "--to-cluster", Older, "--target", "old3");
        Assert.Equal(0, yes.Exit);
        Assert.Equal(2, yes.OutLines.Count);
        Assert.Matches(@"^  old3\s+can run\s+ok$", yes.OutLines[1]);

        var no = GuardRun.Run("check", "303", "--from", Modern, "--to-cluster", Older, "--target", "old2", "--format", "json");
        Assert.Equal(2, no.Exit);
        var node = Assert.Single(JsonDocument.Parse(no.Out).RootElement.GetProperty("nodes").EnumerateArray());
        Assert.Equal("old2", node.GetProperty("node").GetString());
        Assert.False(node.GetProperty("canRun").GetBoolean());

        var typo = GuardRun.Run("check", "303", "--from", Modern, "--to-cluster", Older, "--target", "new1");
        Assert.Equal(64, typo.Exit);
        Assert.Equal("proxclmc-guard: --target new1: no such node in older (old1, old2, old3)", typo.ErrorLines[^1]);
    }

    [Fact]
    public void A_custom_model_the_other_cluster_does_not_define_is_refused_with_the_section_to_create_there()
    {
        var result = GuardRun.Run("check", "310", "--from", Modern, "--to-cluster", Older);

        Assert.Equal(2, result.Exit);
        Assert.All(result.OutLines.Skip(1).Take(3), l => Assert.Contains("CANNOT      custom-here-only is not defined on older, so Proxmox refuses the migration", l, StringComparison.Ordinal));
        Assert.EndsWith(
            "custom-here-only is not defined on older. Create it there, in /etc/pve/virtual-guest/cpu-models.conf (or under Datacenter > Custom CPU models), as here:\n" +
            "cpu-model: here-only\n\tflags +aes\n\treported-model Westmere\n",
            result.Out,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_custom_model_defined_differently_there_is_refused_showing_both_definitions()
    {
        var result = GuardRun.Run("check", "311", "--from", Modern, "--to-cluster", Older);

        Assert.Equal(2, result.Exit);
        Assert.Contains("custom-drifted is defined differently on older, so Proxmox refuses the migration: here flags +aes;+pcid, reported-model SandyBridge; there flags +aes, reported-model SandyBridge", result.Out, StringComparison.Ordinal);
        Assert.EndsWith(
            "Here:\ncpu-model: drifted\n\tflags +aes;+pcid\n\treported-model SandyBridge\n" +
            "On older:\ncpu-model: drifted\n\tflags +aes\n\treported-model SandyBridge\n",
            result.Out,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_custom_model_defined_identically_there_is_judged_on_its_flags()
    {
        // custom-shared: SandyBridge +aes +pcid, in both files (flags in another order there).
        var result = GuardRun.Run("check", "309", "--from", Modern, "--to-cluster", Older);

        Assert.Equal(1, result.Exit);
        Assert.Matches(@"^  old1\s+CANNOT\s+vendor AuthenticAMD, model needs GenuineIntel; lacks pcid$", result.OutLines[1]);
        Assert.Matches(@"^  old3\s+can run\s+ok$", result.OutLines[3]);
        Assert.DoesNotContain("defined", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_remote_with_a_node_that_cannot_be_read_is_a_partial_answer_as_for_this_cluster()
    {
        var partial = _tree.CopyFrom(Older).Root;
        File.Delete(Path.Combine(partial, "nodes", "old2", "cpuinfo"));

        var scan = GuardRun.Run("scan", "--from", Modern, "--to-cluster", partial);
        Assert.Equal(3, scan.Exit);
        Assert.Contains("old2", scan.ErrorLines[^1], StringComparison.Ordinal);
        Assert.Contains("UNREADABLE", scan.Out, StringComparison.Ordinal);

        var allowed = GuardRun.Run("scan", "--from", Modern, "--to-cluster", partial, "--allow-partial", "--vmid", "302");
        Assert.Equal(1, allowed.Exit);
        Assert.Matches(@"302\s+web-v2aes\s+x86-64-v2-AES\s+can go\s+to old1, old3 \(old2 not read\)", Assert.Single(allowed.OutLines, l => l.TrimStart().StartsWith("302 ", StringComparison.Ordinal)));

        var check = GuardRun.Run("check", "302", "--from", Modern, "--to-cluster", partial);
        Assert.Equal(3, check.Exit);
        Assert.Matches(@"^  old2\s+unknown\s+CPU facts of old2 unavailable", check.OutLines[2]);

        Assert.Equal(0, GuardRun.Run("check", "302", "--from", Modern, "--to-cluster", partial, "--target", "old3").Exit);
    }

    [Fact]
    public void A_remote_section_in_the_config_names_the_other_cluster()
    {
        var config = _tree.Write($"[remote.office]\nfrom = \"{Older}\"\n", "guard.toml");

        var byName = GuardRun.Run("scan", "--config", config, "--from", Modern, "--to-cluster", "office", "--format", "json");
        var byFolder = GuardRun.Run("scan", "--config", config, "--from", Modern, "--to-cluster", Older, "--format", "json");

        Assert.Equal(byFolder.Exit, byName.Exit);
        Assert.Equal(Answers(byFolder).Select(a => (a.Key, a.Value.Verdict)), Answers(byName).Select(a => (a.Key, a.Value.Verdict)));
        Assert.Contains("custom-here-only is not defined on office", GuardRun.Run("check", "310", "--config", config, "--from", Modern, "--to-cluster", "office").Out, StringComparison.Ordinal);

        var unknown = GuardRun.Run("scan", "--config", config, "--from", Modern, "--to-cluster", "ofice");
        Assert.Equal(64, unknown.Exit);
        Assert.Equal("proxclmc-guard: --to-cluster ofice: no such snapshot folder, configuration file or [remote.ofice] section (configured remotes: office)", unknown.ErrorLines[^1]);
    }

    [Theory]
    [InlineData("[remote.office]\nurl = \"https://pve-office:8006\"\ntoken_id = \"guard@pve!t\"\ntoken_secret_file = \"/etc/x.secret\"\n", 2, 1, "[remote.office] url needs ca_file or fingerprint: the other cluster's certificates are not signed by this cluster's CA")]
    [InlineData("[remote.office]\nurl = \"https://pve-office:8006\"\nca_file = \"/etc/x.pem\"\n", 2, 1, "[remote.office] url needs token_id and token_secret_file (an API token of that cluster)")]
    [InlineData("[remote.office]\n", 1, 9, "[remote.office] describes no cluster: set url (with token_id, token_secret_file and ca_file or fingerprint), pve_root or from")]
    [InlineData("[remote.office]\nfrom = \"/srv/a\"\npve_root = \"/srv/b\"\n", 3, 1, "[remote.office] set one of url, pve_root or from, not pve_root and from")]
    [InlineData("[remote.office]\nform = \"/srv/a\"\n", 2, 1, "unknown key 'form' in [remote.office] (did you mean 'from'?)")]
    [InlineData("[remote.\"of fice\"]\nfrom = \"/srv/a\"\n", 1, 9, "[remote.of fice]: a remote's name is what --to-cluster takes: letters, digits, '-' and '_' (up to 63)")]
    public void A_remote_section_that_cannot_work_is_a_configuration_error_naming_line_and_column(string toml, int line, int column, string message)
    {
        var config = _tree.Write(toml, "guard.toml");

        var result = GuardRun.Run("scan", "--config", config, "--from", Modern);

        Assert.Equal(78, result.Exit);
        Assert.Equal($"proxclmc-guard: {config}:{line}:{column}: {message}", result.ErrorLines[^1]);
    }

    [Fact]
    public void Baseline_gives_the_cpu_type_both_clusters_can_run()
    {
        var result = GuardRun.Run("baseline", "--from", Modern, "--to-cluster", Older);

        Assert.Equal(1, result.Exit); // vendor mix: a warning, as for one cluster
        Assert.StartsWith("Both clusters, for guests that move back and forth: this one (x86-64-v4 alone) and older (x86-64-v2-AES alone)", result.Out, StringComparison.Ordinal);
        Assert.Contains("Cluster modern + older: 6 nodes", result.Out, StringComparison.Ordinal);
        Assert.Contains(result.OutLines, l => l.TrimStart().StartsWith("older/old2 ", StringComparison.Ordinal));
        Assert.Contains("Cluster CPU type: x86-64-v2-AES", result.Out, StringComparison.Ordinal);

        var listOnly = GuardRun.Run("baseline", "--from", Modern, "--to-cluster", Older, "--list-only");
        Assert.Equal("x86-64-v2-AES\n", listOnly.Out);
    }
}
