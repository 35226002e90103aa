using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Facts;

/// <summary>facts.json as published by the build machine (the qemu-facts snapshot of the CLI tests).</summary>
public sealed class NodeFactsDocumentTests
{
    private static string Published() => File.ReadAllText(Path.Combine(
        RepoPaths.Root, "tests", "ProxClmc.Guard.Cli.Tests", "Fixtures", "snapshots", "qemu-facts", "nodes", "kvmhost", "proxclmc-guard", "facts.json"));

    [Fact]
    public void A_published_file_reads_back_and_writes_the_same_document()
    {
        var doc = NodeFactsDocument.Parse(Published(), "facts.json").GetValueOrThrow();

        Assert.Equal("kvmhost", doc.Node);
        Assert.Equal("7.2.22", doc.Qemu!.Version);
        Assert.Equal(132, doc.Qemu.Models.Count);
        Assert.StartsWith("processor", doc.CpuInfo, StringComparison.Ordinal);
        Assert.Null(doc.QemuError);

        var again = NodeFactsDocument.Parse(doc.ToJson(), "again").GetValueOrThrow();
        Assert.Equal(doc.ToJson(), again.ToJson());
        Assert.Equal(Published(), doc.ToJson());
    }

    [Fact]
    public void Without_QEMU_the_document_says_why()
    {
        var doc = new NodeFactsDocument { Node = "n1", CollectedAt = DateTimeOffset.UnixEpoch, CpuInfo = "", QemuError = "/dev/kvm does not exist" };

        var json = doc.ToJson();

        Assert.Contains("\"qemu\": null", json, StringComparison.Ordinal);
        Assert.Contains("\"qemuError\": \"/dev/kvm does not exist\"", json, StringComparison.Ordinal);
        Assert.Equal("/dev/kvm does not exist", NodeFactsDocument.Parse(json, "x").GetValueOrThrow().QemuError);
    }

    [Theory]
    [InlineData("[]", "facts.json: expected a JSON object")]
    [InlineData("{\"node\": 3}", "facts.json: field 'node': missing or not a string")]
    [InlineData("{\"node\": \"n\", \"collectedAt\": \"yesterday\", \"cpuinfo\": \"\"}", "facts.json: field 'collectedAt': missing or not a date (yyyy-MM-ddTHH:mm:ssZ)")]
    [InlineData("{\"node\": \"n\", \"collectedAt\": \"2026-12-02T01:00:00Z\", \"cpuinfo\": \"\", \"qemu\": {\"version\": \"7.2.22\", \"accelerator\": \"tcg\", \"models\": [], \"hostFeatures\": []}}", "facts.json: field 'qemu.accelerator': 'tcg' is not kvm; only answers under KVM say what a VM can run")]
    [InlineData("{\"node\": \"n\", \"collectedAt\": \"2026-12-02T01:00:00Z\", \"cpuinfo\": \"\", \"qemu\": {\"version\": \"7.2.22\", \"models\": [{\"name\": \"kvm64\"}], \"hostFeatures\": []}}", "facts.json: field 'qemu.models[0].unavailableFeatures': missing or not a list of strings")]
    [InlineData("{\"node\": ", "facts.json:1:10: not valid JSON")]
    public void Bad_files_give_one_line_naming_the_field(string text, string expected)
    {
        var result = NodeFactsDocument.Parse(text, "facts.json");

        Assert.False(result.IsSuccess);
        Assert.Equal(expected, result.Error.ToString());
    }

    [Fact]
    public void Any_input_gives_a_document_or_a_parse_error()
    {
        foreach (var input in Fuzz.Inputs([Published()], Fuzz.Cases(300)))
        {
            var result = NodeFactsDocument.Parse(input, "fuzz");
            Assert.True(result.IsSuccess || result.Error.Source == "fuzz");
        }
    }
}
