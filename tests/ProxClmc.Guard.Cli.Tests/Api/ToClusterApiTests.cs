using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Api;

/// <summary>
/// The other cluster of <c>--to-cluster</c> reached through its API: a second fake Proxmox, with its own CA and token,
/// serving Fixtures/cross-cluster/older. Its answers must be the snapshot's.
/// </summary>
public sealed class ToClusterApiTests : FakePveTest
{
    private static readonly string Modern = GuardRun.Fixture("cross-cluster", "modern");
    private static readonly string Older = GuardRun.Fixture("cross-cluster", "older");

    protected override string Snapshot => Older;

    private string RemoteSection() => WriteRemoteConfig($"""
        [remote.office]
        url = "{Pve.Url}"
        token_id = "{FakePve.FakeProxmox.TokenId}"
        token_secret_file = "{Pve.TokenFile}"
        ca_file = "{Pve.CaCertificatePath}"
        """);

    private string WriteRemoteConfig(string text)
    {
        var path = Path.Combine(Dir, $"local-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, text);
        return path;
    }

    private static Dictionary<int, (string Verdict, string Nodes)> Answers(CliResult result) =>
        JsonDocument.Parse(result.Out).RootElement.GetProperty("guests").EnumerateArray().ToDictionary(
            g => g.GetProperty("vmid").GetInt32(),
            g => (g.GetProperty("verdict").GetString()!, string.Join(", ", g.GetProperty("nodes").EnumerateArray().Select(n => $"{n.GetProperty("node").GetString()}={n.GetProperty("canRun")}"))));

    [Fact]
    public void Scan_to_a_remote_section_gives_the_same_verdicts_per_guest_and_node_as_the_snapshot()
    {
        var throughApi = GuardRun.Run("scan", "--config", RemoteSection(), "--from", Modern, "--to-cluster", "office", "--format", "json");
        var fromSnapshot = GuardRun.Run("scan", "--from", Modern, "--to-cluster", Older, "--format", "json");

        Assert.Equal(fromSnapshot.Exit, throughApi.Exit);
        var api = Answers(throughApi);
        var snapshot = Answers(fromSnapshot);
        Assert.Equal(snapshot.Keys.Order(), api.Keys.Order());
        foreach (var (vmid, answer) in snapshot)
        {
            Assert.True(answer == api[vmid], $"VM {vmid}: snapshot {answer}, API {api[vmid]}");
        }
    }

    [Fact]
    public void A_config_file_describing_the_remote_by_its_api_works_as_a_remote_section()
    {
        var remoteFile = WriteConfig();

        var byFile = GuardRun.Run("check", "303", "--from", Modern, "--to-cluster", remoteFile);
        var bySnapshot = GuardRun.Run("check", "303", "--from", Modern, "--to-cluster", Older);

        Assert.Equal(1, byFile.Exit);
        Assert.Equal(bySnapshot.OutLines.Skip(1), byFile.OutLines.Skip(1));
    }

    [Theory]
    [InlineData(310, "custom-here-only is not defined on office")]
    [InlineData(311, "custom-drifted is defined differently on office, so Proxmox refuses the migration: here flags +aes;+pcid, reported-model SandyBridge; there flags +aes, reported-model SandyBridge")]
    public void Custom_models_are_compared_with_the_definitions_the_remote_api_gives(int vmid, string reason)
    {
        var result = GuardRun.Run("check", vmid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--config", RemoteSection(), "--from", Modern, "--to-cluster", "office");

        Assert.Equal(2, result.Exit);
        Assert.Contains(reason, result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Custom_models_identical_on_the_remote_are_judged_on_their_flags()
    {
        var result = GuardRun.Run("check", "320", "--config", RemoteSection(), "--from", Modern, "--to-cluster", "office");
        var snapshot = GuardRun.Run("check", "320", "--from", Modern, "--to-cluster", Older);

        Assert.Equal(snapshot.Exit, result.Exit);
        Assert.Equal(snapshot.OutLines.Skip(1), result.OutLines.Skip(1));
        Assert.DoesNotContain("defined", result.Out, StringComparison.Ordinal);
    }
}
