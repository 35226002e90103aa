using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Output;

/// <summary>
/// Every command does what it shows: filters that match nothing, a --list-only that never prints an unusable model,
/// --format honoured or refused by each verb, and check/evacuate consistent with scan.
/// </summary>
public sealed class OperatorContractTests
{
    private static string Snapshot(string name) => GuardRun.Fixture("snapshots", name);

    [Theory]
    [InlineData("--node", "pve9", "--node pve9: no such node in the cluster (pve1, pve2, pve3, pve4)")]
    [InlineData("--vmid", "999", "--vmid 999: no such guest in the cluster")]
    [InlineData("--tag", "nosuchtag", "--tag nosuchtag: no guest has this tag")]
    public void A_filter_that_matches_nothing_is_a_usage_error_naming_it(string option, string value, string message)
    {
        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, option, value);

        Assert.Equal(64, result.Exit);
        Assert.Equal("", result.Out);
        Assert.Equal($"proxclmc-guard: {message}\n", result.Error);
    }

    [Fact]
    public void Check_of_a_vm_or_target_that_does_not_exist_is_a_usage_error_like_the_scan_filters()
    {
        var vm = GuardRun.Run("check", "--from", GuardRun.Lab, "999");
        var target = GuardRun.Run("check", "--from", GuardRun.Lab, "103", "--target", "pve9");

        Assert.Equal(64, vm.Exit);
        Assert.Equal("", vm.Out);
        Assert.Equal($"proxclmc-guard: VM 999: no such guest in the cluster ({GuardRun.Lab})\n", vm.Error);
        Assert.Equal(64, target.Exit);
        Assert.Equal("proxclmc-guard: --target pve9: no such node (pve1, pve2, pve3, pve4)\n", target.Error);
    }

    [Fact]
    public void A_filter_value_that_matches_is_kept_even_beside_one_that_does_not_and_the_bad_one_is_named()
    {
        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, "--vmid", "100", "--vmid", "998");

        Assert.Equal(64, result.Exit);
        Assert.Equal("proxclmc-guard: --vmid 998: no such guest in the cluster\n", result.Error);
    }

    [Fact]
    public void List_only_prints_nothing_on_stdout_when_a_node_cannot_be_read_and_says_why_on_stderr()
    {
        var result = GuardRun.Run("baseline", "--from", Snapshot("unreadable-node"), "--list-only");

        Assert.Equal(3, result.Exit);
        Assert.Equal("", result.Out);
        Assert.Contains("could not read pve-c", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void List_only_prints_nothing_on_stdout_when_nodes_are_below_the_pinned_baseline()
    {
        var result = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--config", GuardRun.Fixture("policy", "pin-x86-64-v3.toml"), "--list-only");

        Assert.Equal(2, result.Exit);
        Assert.Equal("", result.Out);
        Assert.Contains("cannot run the pinned baseline x86-64-v3", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void List_only_with_format_json_is_the_baseline_json()
    {
        var listOnly = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--list-only", "--format", "json");
        var baseline = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--format", "json");

        Assert.Equal(0, listOnly.Exit);
        Assert.Equal(baseline.Out, listOnly.Out);
        using var document = JsonDocument.Parse(listOnly.Out);
        Assert.Equal("x86-64-v2-AES", document.RootElement.GetProperty("cluster").GetProperty("baseline").GetProperty("cpuType").GetString());
    }

    [Fact]
    public void Check_in_json_gives_per_node_can_run_reason_and_missing_flags()
    {
        var result = GuardRun.Run("check", "103", "--from", GuardRun.Lab, "--format", "json");

        Assert.Equal(2, result.Exit);
        using var document = JsonDocument.Parse(result.Out);
        var root = document.RootElement;
        Assert.Equal(103, root.GetProperty("vmid").GetInt32());
        Assert.Equal(2, root.GetProperty("exitCode").GetInt32());
        var pve1 = root.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("node").GetString() == "pve1");
        Assert.False(pve1.GetProperty("canRun").GetBoolean());
        Assert.Equal(["abm", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe"], pve1.GetProperty("missingFlags").EnumerateArray().Select(f => f.GetString()));
        Assert.StartsWith("lacks abm", pve1.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var pve2 = root.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("node").GetString() == "pve2");
        Assert.True(pve2.GetProperty("canRun").GetBoolean());
        Assert.True(pve2.GetProperty("currentNode").GetBoolean());
    }

    [Fact]
    public void Evacuate_in_json_gives_each_vms_targets_and_names_ignored_vms_and_containers()
    {
        var result = GuardRun.Run("check", "--evacuate", "pve2", "--from", GuardRun.Lab, "--format", "json");

        Assert.Equal(2, result.Exit);
        using var document = JsonDocument.Parse(result.Out);
        var root = document.RootElement;
        var vms = root.GetProperty("vms").EnumerateArray().ToDictionary(v => v.GetProperty("vmid").GetInt32());
        Assert.Equal(["pve3", "pve4"], vms[103].GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        Assert.Empty(vms[121].GetProperty("targets").EnumerateArray());
        Assert.DoesNotContain(115, vms.Keys); // tagged proxclmc-ignore, as scan ignores it
        Assert.Equal([115], root.GetProperty("ignored").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal([200], root.GetProperty("containersNotChecked").EnumerateArray().Select(i => i.GetInt32()));
    }

    [Fact]
    public void Evacuate_honours_ignore_tags_and_says_containers_are_not_checked()
    {
        var result = GuardRun.Run("check", "--evacuate", "pve2", "--from", GuardRun.Lab);

        Assert.Equal(2, result.Exit);
        Assert.Contains("Ignored (policy.ignore_tags / ignore_vmids), not checked: 115", result.OutLines);
        Assert.Contains(result.OutLines, l => l.StartsWith("Containers are not checked", StringComparison.Ordinal) && l.EndsWith(": 200", StringComparison.Ordinal));
        Assert.Equal("proxclmc-guard: 2 VMs have nowhere to go from pve2: 106, 121\n", result.Error);
    }

    [Fact]
    public void Check_of_an_unverified_guest_exits_1_like_scan()
    {
        var check = GuardRun.Run("check", "122", "--from", GuardRun.Lab);
        var scan = GuardRun.Run("scan", "--from", GuardRun.Lab, "--vmid", "122");

        Assert.Equal(1, check.Exit);
        Assert.Equal(scan.Exit, check.Exit);
        Assert.Equal("proxclmc-guard: VM 122 probably runs on pve1, pve2, pve3, pve4, but that cannot be verified: flag fancy-new-feature not in the CPU catalog: cannot check\n", check.Error);
    }

    [Fact]
    public void Snapshot_in_json_prints_its_manifest()
    {
        using var tree = new TempTree();
        var folder = tree.PathOf("snap");

        var result = GuardRun.Run("snapshot", "--from", GuardRun.Lab, "--out", folder, "--format", "json");

        Assert.Equal(0, result.Exit);
        Assert.Equal(File.ReadAllText(Path.Combine(folder, "manifest.json")).TrimEnd('\n') + "\n", result.Out);
        using var document = JsonDocument.Parse(result.Out);
        Assert.Equal(4, document.RootElement.GetProperty("nodes").GetArrayLength());
    }

    [Theory]
    [InlineData("check 103 --format prometheus", "check --format prometheus: a check has no metrics; use table or json")]
    [InlineData("fix --format prometheus", "fix --format prometheus: a plan has no metrics; use table or json")]
    [InlineData("baseline --list-only --format prometheus", "baseline --list-only prints the CPU type (or, with --format json, the baseline JSON); --format prometheus has no such form")]
    [InlineData("daemon --format json", "daemon writes its reports to the [report] files (JSON and Prometheus); --format does not apply to it")]
    [InlineData("snapshot --out /nonexistent/x --format prometheus", "snapshot --format prometheus: a snapshot has no metrics; use table or json (the manifest)")]
    [InlineData("scan --format yaml", "--format yaml: expected table, json, prometheus or html")]
    [InlineData("baseline --format html", "baseline --format html: only scan has a page (scan --format html, or [report] html_file)")]
    [InlineData("check 103 --format html", "check --format html: only scan has a page (scan --format html, or [report] html_file)")]
    [InlineData("fix --format html", "fix --format html: only scan has a page (scan --format html, or [report] html_file)")]
    [InlineData("facts --format html", "facts --format html: only scan has a page (scan --format html, or [report] html_file)")]
    [InlineData("daemon --format html", "daemon --format html: only scan has a page (scan --format html, or [report] html_file)")]
    [InlineData("snapshot --out /nonexistent/x --format html", "snapshot --format html: only scan has a page (scan --format html, or [report] html_file)")]
    [InlineData("facts --format prometheus", "facts --format prometheus: a node's facts have no metrics; use table or json")]
    public void A_format_a_verb_cannot_honour_is_refused_with_64(string command, string message)
    {
        var result = GuardRun.Run([.. command.Split(' '), "--from", GuardRun.Lab]);

        Assert.Equal(64, result.Exit);
        Assert.Equal("", result.Out);
        Assert.Equal($"proxclmc-guard: {message}\n", result.Error);
    }

    [Fact]
    public void Counts_are_pluralised()
    {
        var one = GuardRun.Run("check", "--evacuate", "pve1", "--from", GuardRun.Lab);

        Assert.DoesNotContain("1 VMs", one.Out + one.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("1 guests", GuardRun.Run("scan", "--from", GuardRun.Lab, "--vmid", "100").Out, StringComparison.Ordinal);
    }
}
