using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Facts;

/// <summary>
/// The hook decides a <c>host</c> guest's migration from the source node's published facts in pmxcfs, without SSH
/// (none is configured here, and hook.fail_closed turns "could not decide" into a refusal the test would see).
/// Both nodes publish the build machine's facts; the "richer" source's KVM offers one feature more.
/// </summary>
public sealed class HookPublishedFactsTests : IDisposable
{
    private const string Target = "kvmdst";
    private const string Source = "kvmsrc";
    private static readonly string Cluster = GuardRun.Fixture("snapshots", "qemu-facts");

    private readonly TempTree _tree = new();

    public HookPublishedFactsTests()
    {
        _tree.CopyFile(GuardRun.Fixture("hook", "host.conf"), "pve", "nodes", Target, "qemu-server", "106.conf");
        Publish(Target, extraHostFeature: null);
    }

    public void Dispose() => _tree.Dispose();

    /// <summary>The recorded facts under another node name, collected ten minutes before the run.</summary>
    private void Publish(string node, string? extraHostFeature)
    {
        var text = File.ReadAllText(Path.Combine(Cluster, "nodes", "kvmhost", "proxclmc-guard", "facts.json"))
            .Replace("\"node\": \"kvmhost\"", $"\"node\": \"{node}\"", StringComparison.Ordinal);
        text = Regex.Replace(text, "\"collectedAt\": \"[^\"]*\"", "\"collectedAt\": \"2026-11-23T11:50:00Z\"");
        if (extraHostFeature is not null)
        {
            text = text.Replace("\"hostFeatures\": [", $"\"hostFeatures\": [\n      \"{extraHostFeature}\",", StringComparison.Ordinal);
        }

        _tree.Write(text, "pve", "nodes", node, "proxclmc-guard", "facts.json");
        if (node == Target)
        {
            // This node's own copy counts only as what it last published itself: the hash `facts --publish` keeps.
            _tree.Write(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))) + "\n", "published-facts.sha256");
        }
    }

    private CliResult MigrateHostGuest()
    {
        var config = _tree.Write(
            $"[cluster]\npve_root = \"{_tree.PathOf("pve")}\"\nlocal_node = \"{Target}\"\n\n" +
            $"[facts]\nlocal_cpuinfo = \"{Path.Combine(Cluster, "nodes", "kvmhost", "cpuinfo")}\"\ncache_file = \"{_tree.PathOf("cache.json")}\"\n\n" +
            $"[ssh]\nidentity_file = \"{_tree.PathOf("no-such-key")}\"\n\n[hook]\nfail_closed = true\n",
            "proxclmc-guard.toml");
        return GuardRun.RunWith(new Dictionary<string, string> { ["PVE_MIGRATED_FROM"] = Source }, "hook", "106", "pre-start", "--config", config);
    }

    [Fact]
    public void A_host_guest_moves_between_nodes_whose_KVM_offers_the_same_features()
    {
        Publish(Source, extraHostFeature: null);

        var result = MigrateHostGuest();

        Assert.True(result.Exit == 0, result.ToString());
        Assert.DoesNotContain(result.ErrorLines, l => l.Contains("refusing", StringComparison.Ordinal));
    }

    [Fact]
    public void A_host_guest_from_a_node_whose_KVM_offers_more_is_refused()
    {
        Publish(Source, extraHostFeature: "avx512f");

        var result = MigrateHostGuest();

        Assert.True(result.Exit == 2, result.ToString());
        Assert.Contains($"proxclmc-guard: refusing migration of VM 106 from {Source} to {Target}: host CPU differs: {Target} lacks avx512f that {Source} has", result.ErrorLines);
    }
}
