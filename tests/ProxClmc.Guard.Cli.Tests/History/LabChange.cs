using System.Text.Json;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.History;

/// <summary>
/// A copy of the lab cluster and a state file beside it: the first scan records the state, the test changes the copy
/// as an update would, and each second scan (in any format, an hour later) compares with that same recorded state.
/// </summary>
internal sealed partial class LabChange : IDisposable
{
    public static readonly DateTimeOffset First = GuardRun.Now;

    public static readonly DateTimeOffset Second = GuardRun.Now.AddHours(1);

    /// <summary>The first scan's time as <c>since</c> says it.</summary>
    public const string FirstTime = "2026-11-23T12:00:00Z";

    /// <summary>The table's heading for changes since the first scan.</summary>
    public const string ChangesHeading = "Changes since 2026-11-23 12:00 UTC:";

    private readonly TempTree _lab = new TempTree().CopyFrom(GuardRun.Lab);
    private readonly TempTree _states = new();
    private byte[] _recorded = [];

    public string Lab => _lab.Root;

    /// <summary>In a folder the first scan creates.</summary>
    public string State => _states.PathOf("cpu", "state.json");

    public string PathOf(params string[] parts) => _lab.PathOf(parts);

    public CliResult FirstScan(params string[] extra)
    {
        var result = GuardRun.RunAt(First, null, ["scan", "--from", Lab, "--state", State, "--format", "json", .. extra]);
        _recorded = File.ReadAllBytes(State);
        return result;
    }

    /// <summary>The second scan, against the state the first one recorded (restored before each call).</summary>
    public CliResult SecondScan(string format, IReadOnlyDictionary<string, string>? environment = null, params string[] extra)
    {
        File.WriteAllBytes(State, _recorded);
        return GuardRun.RunAt(Second, environment, ["scan", "--from", Lab, "--state", State, "--format", format, .. extra]);
    }

    /// <summary>Takes flags off every processor's flags line of a node's cpuinfo (a microcode or BIOS update hiding them).</summary>
    public void RemoveFlags(string node, params string[] flags)
    {
        var path = PathOf("nodes", node, "cpuinfo");
        var text = File.ReadAllText(path);
        foreach (var flag in flags)
        {
            var without = Regex.Replace(text, $@"^(flags\s*:.*?) {Regex.Escape(flag)}(?= |$)", "$1", RegexOptions.Multiline);
            Assert.NotEqual(text, without);
            text = without;
        }

        File.WriteAllText(path, text);
    }

    public void SetMicrocode(string node, string revision)
    {
        var path = PathOf("nodes", node, "cpuinfo");
        var text = File.ReadAllText(path);
        var changed = MicrocodeLine().Replace(text, $"microcode\t: {revision}");
        Assert.NotEqual(text, changed);
        File.WriteAllText(path, changed);
    }

    /// <summary>The corosync.conf node entries, as corosync.conf writes them.</summary>
    public void AddNode(string node, int id, string address, string cpuinfoFrom)
    {
        var path = PathOf("corosync.conf");
        var text = File.ReadAllText(path);
        File.WriteAllText(path, text.Replace("nodelist {\n", $"nodelist {{\n  node {{\n    name: {node}\n    nodeid: {id}\n    quorum_votes: 1\n    ring0_addr: {address}\n  }}\n", StringComparison.Ordinal));
        Directory.CreateDirectory(PathOf("nodes", node));
        File.Copy(PathOf("nodes", cpuinfoFrom, "cpuinfo"), PathOf("nodes", node, "cpuinfo"));
    }

    /// <summary>The node is taken out of the cluster (pvecm delnode) and its folder removed.</summary>
    public void RemoveNode(string node)
    {
        var path = PathOf("corosync.conf");
        var text = File.ReadAllText(path);
        var without = Regex.Replace(text, $@"  node \{{\n    name: {Regex.Escape(node)}\n[^}}]*\}}\n", "");
        Assert.NotEqual(text, without);
        File.WriteAllText(path, without);
        Directory.Delete(PathOf("nodes", node), recursive: true);
    }

    /// <summary>The node's published facts (facts --publish) with this kernel, carrying its cpuinfo as it is.</summary>
    public void PublishFacts(string node, string kernel)
    {
        var document = new Core.Facts.NodeFactsDocument
        {
            Node = node,
            CollectedAt = First,
            Kernel = kernel,
            CpuInfo = File.ReadAllText(PathOf("nodes", node, "cpuinfo")),
        };
        var folder = PathOf("nodes", node, "proxclmc-guard");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "facts.json"), document.ToJson());
    }

    public static List<JsonElement> Changes(CliResult result)
    {
        using var document = JsonDocument.Parse(result.Out);
        return document.RootElement.GetProperty("changes").EnumerateArray().Select(c => c.Clone()).ToList();
    }

    public static JsonElement Root(CliResult result)
    {
        using var document = JsonDocument.Parse(result.Out);
        return document.RootElement.Clone();
    }

    public static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    /// <summary>The samples of a Prometheus text: "name{labels}" to value.</summary>
    public static Dictionary<string, string> Metrics(CliResult result) =>
        result.OutLines.Where(l => !l.StartsWith('#'))
            .Select(l => (Key: l[..l.LastIndexOf(' ')], Value: l[(l.LastIndexOf(' ') + 1)..]))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>
    /// The second scan with its log in a real journald; the entries that carry PROXCLMC_CHANGE, once the scan's
    /// summary (its last entry) arrived. Null, and said, where the machine has no journald.
    /// </summary>
    public List<Dictionary<string, string>>? JournalOfSecondScan(Xunit.Abstractions.ITestOutputHelper output, out CliResult scan, params string[] extra)
    {
        using var journald = JournaldFixture.Start();
        if (!journald.IsAvailable)
        {
            output.WriteLine($"NOT RUN: no journald on this machine: {journald.WhyUnavailable}");
            scan = SecondScan("json", null, extra);
            return null;
        }

        var env = new Dictionary<string, string> { ["PROXCLMC_GUARD_JOURNAL_SOCKET"] = journald.SocketPath };
        scan = SecondScan("json", env, ["--log-target", "journal", .. extra]);
        var finished = journald.WaitFor(1, "SYSLOG_IDENTIFIER=proxclmc-guard", "PRIORITY=6");
        Assert.Contains(finished, e => e["MESSAGE"].StartsWith("Scan finished", StringComparison.Ordinal));
        return journald.Query("SYSLOG_IDENTIFIER=proxclmc-guard").Where(e => e.ContainsKey("PROXCLMC_CHANGE")).ToList();
    }

    public void Dispose()
    {
        _lab.Dispose();
        _states.Dispose();
    }

    [GeneratedRegex(@"^microcode\s*:.*$", RegexOptions.Multiline)]
    private static partial Regex MicrocodeLine();
}
