using System.Text;
using ProxClmc.Guard.Core.Cluster;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Cluster;

public sealed class CorosyncConfigTests
{
    private static readonly string CorpusDir = Path.Combine(RepoPaths.Corpus, "corosync");

    private static readonly string ExpectedFile =
        RepoPaths.Combine("tests", "ProxClmc.Guard.Core.Tests", "Fixtures", "corosync-expected.tsv");

    private sealed record Expectation(string File)
    {
        public string? Cluster { get; set; }

        public string? IpVersion { get; set; }

        public List<(string Name, string NodeId, string Links)> Nodes { get; } = [];

        public (int Line, string Message)? Error { get; set; }
    }

    private static Dictionary<string, Expectation> LoadExpectations()
    {
        var result = new Dictionary<string, Expectation>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(ExpectedFile))
        {
            if (raw.Length == 0 || raw.StartsWith('#'))
            {
                continue;
            }

            var f = raw.Split('\t');
            if (!result.TryGetValue(f[0], out var e))
            {
                result[f[0]] = e = new Expectation(f[0]);
            }

            switch (f[1])
            {
                case "cluster":
                    e.Cluster = f[2] == "-" ? null : f[2];
                    e.IpVersion = f[3];
                    break;
                case "node":
                    e.Nodes.Add((f[2], f[3], f[4]));
                    break;
                case "error":
                    e.Error = (int.Parse(f[2]), f[3]);
                    break;
                default:
                    throw new InvalidDataException("unknown row kind in corosync-expected.tsv: " + raw);
            }
        }

        return result;
    }

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(CorpusDir, "*.conf").Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            data.Add(file!);
        }

        return data;
    }

    [Fact]
    public void The_corpus_has_thirty_files_and_every_one_has_an_expectation()
    {
        var files = Directory.GetFiles(CorpusDir, "*.conf").Select(Path.GetFileName).ToHashSet();
        var expected = LoadExpectations();
        Assert.Equal(30, files.Count);
        Assert.Equal(files.Order(StringComparer.Ordinal), expected.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Corpus_file_reads_as_the_fixture_says(string file)
    {
        var expected = LoadExpectations();
        Assert.True(expected.TryGetValue(file, out var e), $"{file} has no entry in corosync-expected.tsv");

        var result = CorosyncConfig.Parse(File.ReadAllText(Path.Combine(CorpusDir, file)), file);

        if (e!.Error is { } error)
        {
            Assert.False(result.IsSuccess, $"{file} should fail: {error.Message}");
            Assert.Equal(file, result.Error!.Source);
            Assert.Equal(error.Line, result.Error.Line);
            Assert.Contains(error.Message, result.Error.Message, StringComparison.Ordinal);
            if (error.Line > 0)
            {
                Assert.True(result.Error.Column >= 1);
            }

            return;
        }

        Assert.True(result.IsSuccess, result.Error?.ToString());
        var membership = result.Value!;
        Assert.Equal(e.Cluster, membership.ClusterName);
        Assert.Equal(e.IpVersion, membership.IpVersion);
        Assert.False(membership.IsStandalone);
        var actual = membership.Nodes
            .Select(n => (n.Name, n.NodeId?.ToString() ?? "-",
                n.Links.Count == 0 ? "-" : string.Join(' ', n.Links.Select(l => $"{l.Number}={l.Address}"))))
            .ToList();
        Assert.Equal(e.Nodes, actual);
    }

    [Fact]
    public void Node_without_name_is_known_by_its_ring0_address_and_addresses_come_in_link_order()
    {
        const string text = """
            nodelist {
              node {
                ring1_addr: 10.1.0.5
                ring0_addr: 10.0.0.5
                link3_addr: fd00::5
              }
            }
            """;
        var result = CorosyncConfig.Parse(text);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        var node = Assert.Single(result.Value!.Nodes);
        Assert.Equal("10.0.0.5", node.Name);
        Assert.Null(node.NodeId);
        Assert.Equal(["10.0.0.5", "10.1.0.5", "fd00::5"], node.Addresses);
        Assert.Equal([0, 1, 3], node.Links.Select(l => l.Number));
    }

    [Fact]
    public void Comments_start_anywhere_and_braces_may_share_a_line()
    {
        const string text = "totem { cluster_name: lab#comment } \n ip_version: ipv4 }\nnodelist { node { name: a # x\n nodeid: 7 ring0_addr: 192.0.2.1 } }";
        var result = CorosyncConfig.Parse(text);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal("lab", result.Value!.ClusterName);
        Assert.Equal("ipv4", result.Value.IpVersion);
        Assert.Equal(7, result.Value.Nodes[0].NodeId);
    }

    [Theory]
    [InlineData("nodelist {\n node {\n name: a\n }\n", 1, 1, "never closed")]
    [InlineData("nodelist {\n node {\n name: a\n }\n}\n}\n", 6, 1, "unexpected '}'")]
    [InlineData("nodelist {\n node {\n name:\n }\n}\n", 4, 2, "no value for 'name'")]
    [InlineData("nodelist {\n node {\n name: a\n }\n}\ntotem {\n cluster_name:", 7, 2, "no value for 'cluster_name'")]
    [InlineData("nodelist {\n node foo {\n name: a\n }\n}\n", 2, 2, "missing ':' after key 'node'")]
    [InlineData("nodelist {\n node {\n name: a\n }\n}\nnodelist {\n}\n", 6, 1, "section 'nodelist' already exists")]
    [InlineData("nodelist {\n node {\n name: a\n }\n node {\n name: a\n }\n}\n", 6, 8, "duplicate node name 'a'")]
    [InlineData("nodelist {\n node {\n name: a\n ring8_addr: x\n }\n}\n", 4, 2, "link numbers go from 0 to 7")]
    [InlineData("nodelist {\n node {\n name: a\n nodeid: one\n }\n}\n", 4, 10, "nodeid 'one'")]
    [InlineData("nodelist {\n node {\n nodeid: 1\n }\n}\n", 2, 2, "neither 'name' nor 'ring0_addr'")]
    [InlineData("nodelist {\n}\n", 1, 1, "no nodes")]
    [InlineData("totem {\n version: 2\n}\n", 0, 0, "no nodelist")]
    [InlineData("", 0, 0, "no nodelist")]
    [InlineData("# only a comment\n", 0, 0, "no nodelist")]
    [InlineData("nodelist {\n node {\n ring0_addr: {\n }\n}\n", 3, 14, "no value for 'ring0_addr'")]
    public void Bad_files_fail_with_line_column_and_reason(string text, int line, int column, string message)
    {
        var result = CorosyncConfig.Parse(text, "/etc/pve/corosync.conf");
        Assert.False(result.IsSuccess);
        Assert.Equal("/etc/pve/corosync.conf", result.Error!.Source);
        Assert.Contains(message, result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(line, result.Error.Line);
        Assert.Equal(column, result.Error.Column);
    }

    [Fact]
    public void A_64_node_cluster_reads_completely()
    {
        var sb = new StringBuilder("totem {\n  cluster_name: big\n}\nnodelist {\n");
        for (var i = 1; i <= 64; i++)
        {
            sb.Append($"  node {{\n    name: pve{i:00}\n    nodeid: {i}\n    ring0_addr: 10.0.{i / 256}.{i % 256}\n    link1_addr: fd00::{i:x}\n  }}\n");
        }

        sb.Append("}\n");
        var result = CorosyncConfig.Parse(sb.ToString());
        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(64, result.Value!.Nodes.Count);
        Assert.Equal("pve64", result.Value.Nodes[63].Name);
        Assert.Equal("fd00::40", result.Value.Nodes[63].Links[1].Address);
    }

    [Fact]
    public void Fuzzed_input_gives_a_value_or_a_typed_error()
    {
        var seeds = Directory.GetFiles(CorpusDir, "*.conf").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        foreach (var input in Fuzz.InputsWithLongLines(seeds, Fuzz.Cases()))
        {
            var result = CorosyncConfig.Parse(input, "fuzz.conf");
            if (result.IsSuccess)
            {
                Assert.NotEmpty(result.Value!.Nodes);
            }
            else
            {
                Assert.IsType<ParseError>(result.Error);
                Assert.Equal("fuzz.conf", result.Error!.Source);
                Assert.InRange(result.Error.Line, 0, input.Count(c => c == '\n') + 1);
            }
        }
    }
}
