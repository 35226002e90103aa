using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Facts;

/// <summary>
/// The QMP answers of a real QEMU 7.2.22 under KVM (Debian 12's qemu-system-x86 on the project's build machine, an
/// AMD EPYC KVM guest whose nested KVM hides pni), recorded with the exact commands <c>facts</c> sends.
/// </summary>
public sealed class QmpAnswerParserTests
{
    internal static string Recorded(string name = "qemu-7.2.22-kvm-amd-epyc-nested.jsonl") =>
        File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "ProxClmc.Guard.Core.Tests", "Fixtures", "qmp", name));

    internal static QemuCpuAnswer RecordedAnswer() =>
        QmpAnswerParser.Parse(Recorded(), "/usr/bin/kvm", "recorded").GetValueOrThrow();

    [Fact]
    public void QEMU_7_2_answers_give_version_every_model_and_the_host_expansion()
    {
        var answer = RecordedAnswer();

        Assert.Equal("7.2.22", answer.Version);
        Assert.Equal("/usr/bin/kvm", answer.Binary);
        Assert.Equal("kvm", answer.Accelerator);
        Assert.Equal(132, answer.Models.Count);
        Assert.True(answer.TryGetModel("kvm64", out var kvm64));
        Assert.Equal(["pni"], kvm64.UnavailableFeatures);
        Assert.False(kvm64.Usable);
        Assert.Equal("kvm64-v1", kvm64.AliasOf);
        Assert.Equal(
            ["max", "host", "base", "pentium3-v1", "pentium3", "pentium2-v1", "pentium2", "pentium-v1", "pentium", "486-v1", "486"],
            answer.Models.Where(m => m.Usable).Select(m => m.Name));

        // QEMU 7.2 lists pku twice for Skylake-Server (two CPUID leaves); it is one missing feature.
        Assert.True(answer.TryGetModel("Skylake-Server", out var skylake));
        Assert.Single(skylake.UnavailableFeatures, f => f == "pku");

        // The expansion lists every spelling; settings (family, model-id) are not features.
        Assert.True(answer.HostHas("lahf_lm"));
        Assert.True(answer.HostHas("lahf-lm"));
        Assert.False(answer.HostHas("pni"));
        Assert.False(answer.HostHas("sse4.1"));
        Assert.DoesNotContain("model-id", answer.HostFeatures);
    }

    [Fact]
    public void An_error_answer_is_named()
    {
        var transcript = Recorded().Replace(
            """{"return": {"model": {"name": "host",""",
            """{"error": {"class": "GenericError", "desc": "CPU model 'host' requires KVM or HVF"}, "id": "expansion", "x": {"model": {"name": "host",""",
            StringComparison.Ordinal);

        var result = QmpAnswerParser.Parse(transcript, "/usr/bin/kvm", "/usr/bin/kvm");

        Assert.False(result.IsSuccess);
        Assert.Equal("/usr/bin/kvm:5:1: QEMU refused expansion: CPU model 'host' requires KVM or HVF", result.Error.ToString());
    }

    [Fact]
    public void A_conversation_cut_short_says_which_answer_is_missing()
    {
        var firstFour = string.Join('\n', Recorded().Split('\n').Take(4));

        var result = QmpAnswerParser.Parse(firstFour, "kvm", "kvm");

        Assert.Equal("kvm: QEMU gave no answer to query-cpu-model-expansion", result.Error!.ToString());
    }

    [Fact]
    public void Any_input_gives_an_answer_or_a_parse_error()
    {
        var seeds = new[] { Recorded(), string.Join('\n', Recorded().Split('\n').Take(5)) };
        var answers = 0;
        foreach (var input in Fuzz.Inputs(seeds, Fuzz.Cases(300)))
        {
            var result = QmpAnswerParser.Parse(input, "kvm", "fuzz");
            if (result.IsSuccess)
            {
                answers++;
                Assert.NotNull(result.Value.Version);
            }
            else
            {
                Assert.Equal("fuzz", result.Error.Source);
                Assert.False(string.IsNullOrWhiteSpace(result.Error.Message));
            }
        }

        Assert.True(answers >= 0);
    }
}
