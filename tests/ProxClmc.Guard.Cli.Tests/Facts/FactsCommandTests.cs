using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Infrastructure.Qemu;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Facts;

/// <summary>
/// <c>facts</c> on this machine: its real /proc/cpuinfo and its real QEMU under KVM (or, where KVM or QEMU is missing or
/// unusable, the qemuError path and the warning a user then sees). <c>--publish</c> writes into a scratch pve_root.
/// </summary>
public sealed class FactsCommandTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private static CliResult Facts(Func<string?, INodeQemuProbe>? probe, params string[] args) => Facts(240, probe, args);

    private static CliResult Facts(int width, Func<string?, INodeQemuProbe>? probe, params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var env = new CliEnvironment
        {
            Out = output,
            Error = error,
            Clock = new FixedClock(GuardRun.Now),
            HostName = () => "testhost",
            OutputWidth = width,
            GetEnvironmentVariable = _ => null,
            QemuProbe = probe,
        };
        var exit = new GuardCli(env).InvokeAsync(["facts", .. args]).GetAwaiter().GetResult();
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    private static INodeQemuProbe RealQemu(string? binary) => new QemuProbe(new QemuProbeOptions { Binary = binary, Timeout = ServerTimeouts.Answer });

    /// <summary>Whether the real QEMU can answer here: a QEMU binary and a /dev/kvm that answers KVM ioctls.</summary>
    private static bool QemuAnswersHere => MachineKvm.Usable && new QemuProbe(new QemuProbeOptions()).ResolveBinary().Binary is not null;

    private string Config(string node) => _tree.Write(
        $"[cluster]\npve_root = \"{_tree.PathOf("pve")}\"\nlocal_node = \"{node}\"\n",
        "proxclmc-guard.toml");

    [Fact]
    public void Json_has_exactly_the_documented_shape_with_QEMUs_answer_or_why_there_is_none()
    {
        var result = Facts(RealQemu, "--config", Config("pve1"), "--format", "json");

        Assert.Equal(0, result.Exit);
        using var doc = JsonDocument.Parse(result.Out);
        var root = doc.RootElement;
        Assert.Equal("pve1", root.GetProperty("node").GetString());
        Assert.Equal("2026-11-23T12:00:00Z", root.GetProperty("collectedAt").GetString());
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), root.GetProperty("kernel").GetString());
        Assert.Equal(File.ReadAllText("/proc/cpuinfo"), root.GetProperty("cpuinfo").GetString());
        var qemu = root.GetProperty("qemu");
        if (!QemuAnswersHere)
        {
            Assert.Equal(["node", "collectedAt", "kernel", "microcode", "cpuinfo", "qemu", "qemuError"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(JsonValueKind.Null, qemu.ValueKind);
            var why = root.GetProperty("qemuError").GetString()!;
            Assert.DoesNotContain('\n', why);
            if (new QemuProbe(new QemuProbeOptions()).ResolveBinary().Binary is null)
            {
                Assert.StartsWith("no QEMU binary", why, StringComparison.Ordinal);
            }
            else if (!File.Exists(MachineKvm.Device))
            {
                Assert.StartsWith("/dev/kvm does not exist", why, StringComparison.Ordinal);
            }
            else
            {
                // /dev/kvm is there but answers no KVM ioctl: QEMU itself refuses to start, and its first words say why.
                Assert.False(string.IsNullOrWhiteSpace(why));
            }

            return;
        }

        Assert.Equal(["node", "collectedAt", "kernel", "microcode", "cpuinfo", "qemu"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["binary", "version", "accelerator", "models", "hostFeatures"], qemu.EnumerateObject().Select(p => p.Name));
        Assert.Equal("kvm", qemu.GetProperty("accelerator").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+$", qemu.GetProperty("version").GetString());
        var models = qemu.GetProperty("models").EnumerateArray().ToList();
        Assert.Contains(models, m => m.GetProperty("name").GetString() == "kvm64");
        Assert.All(models, m =>
        {
            Assert.Equal(["name", "usable", "unavailableFeatures"], m.EnumerateObject().Select(p => p.Name));
            Assert.Equal(m.GetProperty("usable").GetBoolean(), m.GetProperty("unavailableFeatures").GetArrayLength() == 0);
        });
        Assert.Contains(qemu.GetProperty("hostFeatures").EnumerateArray(), f => f.GetString() == "lm");
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    [InlineData(200)]
    public void The_facts_table_fits_the_width_and_verbose_lists_every_usable_model(int width)
    {
        var table = Facts(width, RealQemu, "--config", Config("pve1"));
        var verbose = Facts(width, RealQemu, "--config", Config("pve1"), "-v");
        using var doc = JsonDocument.Parse(Facts(width, RealQemu, "--config", Config("pve1"), "--format", "json").Out);

        Assert.Equal(0, table.Exit);
        Assert.All(table.OutLines, l => Assert.True(l.Length <= width, $"{l.Length} > {width}: {l}"));
        Assert.StartsWith("Node:       pve1", table.OutLines[0], StringComparison.Ordinal);

        // Each level row says whether it runs before the -cpu argument QEMU was asked with, which may be shortened.
        foreach (var row in table.OutLines.Where(l => l.StartsWith("  x86-64-v", StringComparison.Ordinal) || l.StartsWith("  kvm64", StringComparison.Ordinal)))
        {
            Assert.Matches(@"^  \S+\s+(runs|refused: )", row);
            var whole = verbose.OutLines.Single(l => l.StartsWith(row.TrimEnd('…')[..16], StringComparison.Ordinal));
            Assert.True(row == whole || (row.EndsWith('…') && whole.StartsWith(row[..^1], StringComparison.Ordinal) && whole[row.Length - 1] is ',' or ' ' or ';' or ':'), $"{row}\n{whole}");
        }

        if (doc.RootElement.GetProperty("qemu") is { ValueKind: JsonValueKind.Object } qemu)
        {
            var usable = qemu.GetProperty("models").EnumerateArray().Where(m => m.GetProperty("usable").GetBoolean()).Select(m => m.GetProperty("name").GetString()).ToList();
            Assert.Contains($"Usable:     {(usable.Count == 0 ? "-" : string.Join(' ', usable))}", verbose.OutLines);
            var shown = table.OutLines.Single(l => l.StartsWith("Usable:", StringComparison.Ordinal));
            Assert.True(shown.EndsWith('…') || shown == $"Usable:     {string.Join(' ', usable)}", shown);
        }
    }

    [Fact]
    public void Without_KVM_qemu_is_null_and_qemuError_says_why()
    {
        var noKvm = Path.Combine(_tree.Root, "no-kvm");

        var result = Facts(binary => new QemuProbe(new QemuProbeOptions { Binary = binary, KvmDevice = noKvm }), "--config", Config("pve1"), "--format", "json");

        Assert.Equal(0, result.Exit);
        using var doc = JsonDocument.Parse(result.Out);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("qemu").ValueKind);
        var why = doc.RootElement.GetProperty("qemuError").GetString()!;
        Assert.True(why.StartsWith(noKvm + " does not exist", StringComparison.Ordinal) || why.StartsWith("no QEMU binary", StringComparison.Ordinal), why);
    }

    [Fact]
    public void Publish_writes_the_nodes_facts_into_its_own_folder_of_pve_root()
    {
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", "pve1"));

        var result = Facts(RealQemu, "--config", Config("pve1"), "--publish");

        Assert.Equal(0, result.Exit);
        var path = _tree.PathOf("pve", "nodes", "pve1", "proxclmc-guard", "facts.json");
        Assert.Contains($"Published:  {path}", result.Out, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal("pve1", doc.RootElement.GetProperty("node").GetString());
        Assert.Equal(["nodes"], Directory.EnumerateFileSystemEntries(_tree.PathOf("pve")).Select(Path.GetFileName));
        Assert.Equal(["proxclmc-guard"], Directory.EnumerateFileSystemEntries(_tree.PathOf("pve", "nodes", "pve1")).Select(Path.GetFileName));
    }

    [Fact]
    public void Publish_for_a_node_pve_root_does_not_know_fails_with_one_line_and_writes_nothing()
    {
        Directory.CreateDirectory(_tree.PathOf("pve", "nodes", "pve1"));

        var result = Facts(RealQemu, "--config", Config("pve9"), "--publish");

        Assert.Equal(3, result.Exit);
        Assert.Equal(
            $"proxclmc-guard: {_tree.PathOf("pve", "nodes", "pve9")}: no such directory (is {_tree.PathOf("pve")} this cluster's pmxcfs, and pve9 this node's name?); nothing written",
            Assert.Single(result.ErrorLines, l => l.StartsWith("proxclmc-guard:", StringComparison.Ordinal) && !l.StartsWith("proxclmc-guard: warning:", StringComparison.Ordinal)));
        // Where QEMU cannot answer (no KVM, an unusable /dev/kvm, no QEMU), the user is told once, before the error.
        var warnings = result.ErrorLines.Where(l => l.StartsWith("proxclmc-guard: warning:", StringComparison.Ordinal)).ToList();
        if (QemuAnswersHere)
        {
            Assert.Empty(warnings);
        }
        else
        {
            Assert.StartsWith("proxclmc-guard: warning: No QEMU answer on pve9: ", Assert.Single(warnings), StringComparison.Ordinal);
            Assert.EndsWith("; this node is judged from /proc/cpuinfo", warnings[0], StringComparison.Ordinal);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(_tree.PathOf("pve", "nodes", "pve1")));
        Assert.False(Directory.Exists(_tree.PathOf("pve", "nodes", "pve9")));
    }
}
