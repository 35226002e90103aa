using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Monitoring;

/// <summary>
/// contrib/grafana/proxclmc-guard.json and contrib/prometheus/proxclmc-guard.rules.yml: every metric they use is one
/// <c>scan --format prometheus</c> writes, Debian's promtool accepts every expression, and the alerts fire (and stay
/// quiet) over series recorded from real scans.
/// </summary>
public sealed partial class DashboardAndRulesTests
{
    private static readonly string Dashboard = RepoPaths.Combine("contrib", "grafana", "proxclmc-guard.json");
    private static readonly string Rules = RepoPaths.Combine("contrib", "prometheus", "proxclmc-guard.rules.yml");
    private static readonly string UnreadableNode = GuardRun.Fixture("snapshots", "unreadable-node");

    [Fact]
    public void Every_metric_the_dashboard_and_the_rules_use_is_one_the_tool_writes()
    {
        var written = WrittenMetrics();
        var recorded = RuleLines(File.ReadAllText(Rules), "record").ToHashSet(StringComparer.Ordinal);

        var dashboard = DashboardExpressions().SelectMany(MetricNames).ToHashSet(StringComparer.Ordinal);
        var rules = RuleLines(File.ReadAllText(Rules), "expr").SelectMany(MetricNames).ToHashSet(StringComparer.Ordinal);

        Assert.Empty(dashboard.Except(written));
        Assert.Empty(rules.Except(written).Except(recorded));
        Assert.Equal(
            ["proxclmc_guard_baseline_info", "proxclmc_guard_guests", "proxclmc_guard_last_run_timestamp_seconds", "proxclmc_guard_node_level_info", "proxclmc_guard_node_readable", "proxclmc_guard_unsafe_guest"],
            dashboard.Order(StringComparer.Ordinal));
        Assert.Equal(
            ["proxclmc_guard:baseline_level", "proxclmc_guard:newest_report", "proxclmc_guard_baseline_info", "proxclmc_guard_guests", "proxclmc_guard_last_run_timestamp_seconds", "proxclmc_guard_node_readable"],
            rules.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_metric_name_reader_finds_names_outside_labels_strings_and_ranges()
    {
        // The check above must be able to fail: a name the tool does not write is found wherever it stands.
        Assert.Equal(
            ["proxclmc_guard_nonexistent", "up"],
            MetricNames("sum by (job) (rate(proxclmc_guard_nonexistent{a=\"b{c}\", d=~\"up\"}[5m])) / on (instance) group_left () up").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Promtool_accepts_the_rules_and_every_dashboard_expression()
    {
        var check = Promtool("check", "rules", Rules);
        Assert.True(check.Exit == 0, check.Output);
        Assert.Contains("SUCCESS: 6 rules found", check.Output, StringComparison.Ordinal);

        // Grafana's variables take a value, then each panel query is checked as a recording rule.
        using var tree = new TempTree();
        var sb = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        var n = 0;
        foreach (var expr in DashboardExpressions())
        {
            var concrete = expr.Replace("$job", ".*", StringComparison.Ordinal).Replace("$__range", "1d", StringComparison.Ordinal);
            sb.Append(CultureInfo.InvariantCulture, $"      - record: dashboard:query_{++n}\n        expr: {JsonSerializer.Serialize(concrete)}\n");
        }

        var file = tree.Write(sb.ToString(), "dashboard.rules.yml");
        var dashboard = Promtool("check", "rules", file);
        Assert.True(dashboard.Exit == 0, dashboard.Output);
        Assert.Contains($"SUCCESS: {n} rules found", dashboard.Output, StringComparison.Ordinal);
        Assert.True(n >= 10);
    }

    [Fact]
    public void Promtool_test_rules_fires_each_alert_over_series_recorded_from_real_scans()
    {
        // Three scans an hour apart, as the textfile collector would expose them minute by minute: a clean cluster at
        // x86-64-v3 (the unreadable-node snapshot without its unreadable node), then the lab (x86-64-v2-AES, 11 unsafe
        // guests), then the unreadable-node snapshot with its unreadable node; after that no scan rewrites the file.
        // One cluster seen over time: its cluster label is the same in each.
        (int Minute, string[] Args)[] scans =
        [
            (0, ["scan", "--from", UnreadableNode, "--without-node", "pve-c"]),
            (60, ["scan", "--from", GuardRun.Lab]),
            (120, ["scan", "--from", UnreadableNode, "--allow-partial"]),
        ];
        const int end = 360;
        var phases = scans.Select(s => Samples(GuardRun.RunAt(DateTimeOffset.UnixEpoch.AddMinutes(s.Minute), null, [.. s.Args, "--format", "prometheus"]).Out)).ToList();
        var series = phases.SelectMany(p => p.Keys).Distinct().Order(StringComparer.Ordinal).ToList();

        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"rule_files:\n  - {Rules}\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n");
        foreach (var key in series)
        {
            var values = new List<string>();
            for (var minute = 0; minute <= end; minute++)
            {
                var phase = scans.Select((s, i) => (s.Minute, i)).Last(p => p.Minute <= minute).i;
                values.Add(phases[phase].TryGetValue(key, out var v) ? v : "_");
            }

            yaml.Append("      - series: '").Append(key.Replace("'", "''", StringComparison.Ordinal)).Append("'\n        values: '").Append(string.Join(' ', values)).Append("'\n");
        }

        yaml.Append("    alert_rule_test:\n");
        const string unsafeDescription = "proxclmc-guard scan lists them with the nodes that cannot run them; proxclmc-guard fix plans the change.";
        const string downDescription = "A node now offers fewer CPU features (a new node, a BIOS or microcode change, a kernel that masks a flag): guests set to the old baseline may not migrate to it.";
        const string unreadableDescription = "The baseline covers only the other nodes; proxclmc-guard baseline -v says why.";
        const string missingDescription = "Check systemctl status proxclmc-guard-scan.timer and journalctl -t proxclmc-guard on the nodes.";
        string[] alerts = ["ProxclmcGuardUnsafeGuests", "ProxclmcGuardBaselineLevelDown", "ProxclmcGuardNodeUnreadable", "ProxclmcGuardScanMissing"];
        var expected = new Dictionary<(string, string), string>
        {
            [("90m", "ProxclmcGuardUnsafeGuests")] = Alert("", "11 guests are not safe to live-migrate everywhere in the cluster", unsafeDescription),
            [("90m", "ProxclmcGuardBaselineLevelDown")] = Alert("cluster: lab", "The cluster CPU baseline of lab went down to level 4", downDescription),
            [("150m", "ProxclmcGuardNodeUnreadable")] = Alert("node: pve-c", "proxclmc-guard could not read the CPU facts of node pve-c", unreadableDescription),
            [("200m", "ProxclmcGuardNodeUnreadable")] = Alert("node: pve-c", "proxclmc-guard could not read the CPU facts of node pve-c", unreadableDescription),
            [("300m", "ProxclmcGuardNodeUnreadable")] = Alert("node: pve-c", "proxclmc-guard could not read the CPU facts of node pve-c", unreadableDescription),
            [("300m", "ProxclmcGuardScanMissing")] = Alert("", "No proxclmc-guard scan report for more than two scan intervals", missingDescription),
        };
        foreach (var at in new[] { "30m", "90m", "150m", "200m", "300m" })
        {
            foreach (var alert in alerts)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"      - eval_time: {at}\n        alertname: {alert}\n        exp_alerts:");
                yaml.Append(expected.TryGetValue((at, alert), out var one) ? "\n" + one : " []\n");
            }
        }

        Directory.CreateDirectory(RepoPaths.Combine("artifacts", "prometheus"));
        var file = RepoPaths.Combine("artifacts", "prometheus", "proxclmc-guard.rules.test.yml");
        File.WriteAllText(file, yaml.ToString());
        Assert.Equal(6, expected.Count);
        Assert.Contains("proxclmc_guard_node_readable{node=\"pve-c\"}", series);

        var test = Promtool("test", "rules", file);
        Assert.True(test.Exit == 0, test.Output);
        Assert.Contains("SUCCESS", test.Output, StringComparison.Ordinal);
    }

    private static string Alert(string label, string summary, string description) =>
        "          - exp_labels:\n              severity: warning\n" + (label.Length > 0 ? $"              {label}\n" : "") +
        $"            exp_annotations:\n              summary: {JsonSerializer.Serialize(summary)}\n              description: {JsonSerializer.Serialize(description)}\n";

    /// <summary>Each sample line of an exposition: the series as written, and its value.</summary>
    private static Dictionary<string, string> Samples(string exposition) =>
        exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith('#'))
            .Select(l => (Key: ClusterLabel().Replace(l[..l.LastIndexOf(' ')], "cluster=\"lab\""), Value: l[(l.LastIndexOf(' ') + 1)..]))
            .ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);

    /// <summary>The metric names the tool writes: every # TYPE line of the scans that show each kind of series.</summary>
    private static HashSet<string> WrittenMetrics()
    {
        var text = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "prometheus").Out
            + GuardRun.Run("scan", "--from", UnreadableNode, "--allow-partial", "--format", "prometheus").Out;
        var names = text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("proxclmc_guard_unsafe_guest", names);
        return names;
    }

    private static List<string> DashboardExpressions()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Dashboard));
        var exprs = doc.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
        foreach (var variable in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            // label_values(<metric>, <label>) names a metric too.
            var query = variable.GetProperty("query").GetProperty("query").GetString()!;
            exprs.Add(Regex.Match(query, "^label_values\\((.*), *\\w+\\)$").Groups[1].Value);
        }

        return exprs;
    }

    /// <summary>The values of one key in the rules file: plain (<c>key: value</c>) or block (<c>key: |</c> and the lines indented under it).</summary>
    private static IEnumerable<string> RuleLines(string yaml, string key)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var m = Regex.Match(lines[i], $"^(?<indent> *)(- )?{key}: (?<value>.*)$");
            if (!m.Success)
            {
                continue;
            }

            if (m.Groups["value"].Value != "|")
            {
                yield return m.Groups["value"].Value;
                continue;
            }

            var block = new StringBuilder();
            var indent = m.Groups["indent"].Length;
            while (i + 1 < lines.Length && (lines[i + 1].Length == 0 || lines[i + 1].TakeWhile(c => c == ' ').Count() > indent))
            {
                block.Append(lines[++i]).Append('\n');
            }

            yield return block.ToString();
        }
    }

    /// <summary>
    /// The metric names of a PromQL expression: what is left of its identifiers once strings, label matchers, ranges,
    /// the label lists of by/without/on/ignoring/group_left/group_right, keywords and function calls are taken out.
    /// </summary>
    private static HashSet<string> MetricNames(string expr)
    {
        var text = Regex.Replace(expr, "\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
        text = Regex.Replace(text, "\\{[^}]*\\}", " ");
        text = Regex.Replace(text, "\\[[^\\]]*\\]", " ");
        text = Regex.Replace(text, "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        string[] keywords = ["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right"];
        return Identifier().Matches(text)
            .Where(m => !m.Groups["call"].Success && !keywords.Contains(m.Groups["name"].Value))
            .Select(m => m.Groups["name"].Value)
            .ToHashSet(StringComparer.Ordinal);
    }

    private static (int Exit, string Output) Promtool(params string[] args)
    {
        var binary = File.Exists("/usr/bin/promtool") ? "/usr/bin/promtool"
            : throw new InvalidOperationException("promtool is not installed (tools/test-deps.sh installs Debian's prometheus package)");
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("promtool " + string.Join(' ', args));
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [GeneratedRegex("(?<![A-Za-z0-9_:.$])(?<name>[A-Za-z_:][A-Za-z0-9_:]*)(?<call>\\s*\\()?")]
    private static partial Regex Identifier();

    [GeneratedRegex("cluster=\"[^\"]*\"")]
    private static partial Regex ClusterLabel();
}
