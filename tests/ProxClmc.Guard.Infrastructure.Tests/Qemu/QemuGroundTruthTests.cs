using System.Collections.Concurrent;
using System.Diagnostics;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;
using ProxClmc.Guard.Infrastructure.Qemu;
using ProxClmc.Guard.Testing;
using Xunit.Abstractions;

namespace ProxClmc.Guard.Infrastructure.Tests.Qemu;

/// <summary>
/// Ground truth on this machine's real KVM: for every CPU model of the installed QEMU and for Proxmox's five levels,
/// what <c>facts</c> calls usable must be exactly what <c>qemu-system-x86_64 -accel kvm -cpu &lt;model&gt;,enforce -S</c>
/// really starts. Where /dev/kvm or QEMU is missing the test says so and checks the qemuError path instead.
/// </summary>
[Collection(KvmCollection.Name)]
public sealed class QemuGroundTruthTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private enum Outcome
    {
        Started,
        RefusedByEnforce,
        OtherFailure,
    }

    [Fact]
    public async Task Facts_call_a_model_usable_exactly_when_QEMU_with_enforce_starts_it()
    {
        var probe = new QemuProbe(new QemuProbeOptions { Timeout = ServerTimeouts.Answer });
        var result = await probe.ProbeAsync(CancellationToken.None);
        if (!MachineKvm.Usable || probe.ResolveBinary().Binary is null)
        {
            output.WriteLine($"No usable KVM or no QEMU on this machine ({MachineKvm.Describe()}): checking the qemuError path instead");
            Assert.Null(result.Answer);
            Assert.False(string.IsNullOrWhiteSpace(result.Error));
            output.WriteLine("qemuError: " + result.Error);
            return;
        }

        Assert.True(result.Answer is not null, result.Error);
        var answer = result.Answer!;
        output.WriteLine($"QEMU {answer.Version} ({answer.Binary}): {answer.Models.Count} models");

        // Facts' verdict per -cpu argument: a model's own 'usable', and for the levels Core's judgement from the answer.
        var cpuinfo = CpuInfoParser.Parse(await File.ReadAllTextAsync("/proc/cpuinfo"), "/proc/cpuinfo").GetValueOrThrow();
        var node = NodeCapability.Compute(NodeFacts.Readable("this", cpuinfo, FactsSource.Local) with { Qemu = answer }, CpuCatalog.Default);
        var cases = answer.Models.Select(m => (Cpu: m.Name, Usable: m.Usable)).ToList();
        foreach (var level in CpuCatalog.Default.LevelModels)
        {
            cases.Add((ProxmoxCpuForms.CpuArgument(level), node.Check(CpuRequirement.FromModel(level)).CanRun));
        }

        // The -flag rule against reality: qemu64 with every feature KVM lacks here switched off, judged by Core.
        Assert.True(answer.TryGetModel("qemu64", out var qemu64));
        if (qemu64.UnavailableFeatures.Count > 0 && CpuCatalog.Default.TryGetModel("qemu64", out var qemu64Model))
        {
            var minus = qemu64.UnavailableFeatures.Select(f => (f, false)).ToList();
            var requirement = new CpuRequirement { Description = "qemu64", Flags = qemu64Model.RequiredFlags }.WithQemuForm(qemu64Model, minus);
            cases.Add(("qemu64," + string.Join(',', minus.Select(m => "-" + m.f)), node.Check(requirement).CanRun));
        }

        var outcomes = new ConcurrentDictionary<string, (Outcome Outcome, string Stderr)>();
        using var gate = new SemaphoreSlim(Math.Clamp(Environment.ProcessorCount, 2, 8));
        await Task.WhenAll(cases.Select(async c =>
        {
            await gate.WaitAsync();
            try
            {
                outcomes[c.Cpu] = await StartWithEnforceAsync(answer.Binary, c.Cpu);
            }
            finally
            {
                gate.Release();
            }
        }));

        var mismatches = new List<string>();
        var started = 0;
        foreach (var (cpu, usable) in cases)
        {
            var (outcome, stderr) = outcomes[cpu];
            if (outcome == Outcome.OtherFailure)
            {
                // host and max pass the host CPU through; on a nested KVM, QEMU can abort on an MSR the outer hypervisor
                // refuses (not a missing feature). Any other model failing for another reason is a finding.
                output.WriteLine($"{cpu}: failed for another reason than a missing feature: {stderr}");
                if (cpu is not ("host" or "max"))
                {
                    mismatches.Add($"{cpu}: QEMU failed without naming a missing feature: {stderr}");
                }

                continue;
            }

            var reallyStarts = outcome == Outcome.Started;
            started += reallyStarts ? 1 : 0;
            if (reallyStarts != usable)
            {
                mismatches.Add($"{cpu}: facts say {(usable ? "usable" : "not usable")}, QEMU {(reallyStarts ? "starts it" : "refuses it")}: {stderr}");
            }
        }

        output.WriteLine($"{cases.Count} CPU types compared: {started} start with enforce, {cases.Count - started} do not");
        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
    }

    /// <summary>
    /// The cluster CPU model (<c>baseline --custom-model</c>) of this machine alone: with KVM, built from QEMU's own
    /// answer, QEMU must start its <c>-cpu</c> with enforce; without KVM, built from cpuinfo, every flag must be one this
    /// CPU shows, and the model must say it is unverified against KVM here.
    /// </summary>
    [Fact]
    public async Task The_cluster_model_of_this_machine_starts_with_enforce_or_says_it_is_unverified()
    {
        var cpuinfo = CpuInfoParser.Parse(await File.ReadAllTextAsync("/proc/cpuinfo"), "/proc/cpuinfo").GetValueOrThrow();
        var probe = new QemuProbe(new QemuProbeOptions());
        var result = await probe.ProbeAsync(CancellationToken.None);
        var facts = NodeFacts.Readable("this", cpuinfo, FactsSource.Local) with { Qemu = result.Answer };
        var baseline = ClusterBaseline.Compute([facts], CpuCatalog.Default, new Core.Policy.GuardPolicy());
        var model = ClusterCpuModel.Build("here", baseline, CpuCatalog.Default, withPhysBits: false)
            .Verified(baseline, CpuCatalog.Default, new Core.Policy.GuardPolicy(), out var verdict);
        output.WriteLine(model.Section);

        Assert.Equal(Core.Compliance.Verdict.Ok, verdict.Verdict);
        if (result.Answer is not { } answer)
        {
            output.WriteLine($"No KVM or no QEMU on this machine ({result.Error}): checking the cpuinfo-only model instead");
            Assert.Equal(["this"], model.UnverifiedNodes);
            Assert.All(model.Flags, f => Assert.Equal("cpuinfo", f.Sources["this"]));
            Assert.All(model.Flags, f => Assert.All(CpuCatalog.Default.MapQemuFlag(f.Name)!.CpuinfoFlags, c => Assert.Contains(c, cpuinfo.Flags)));
            Assert.DoesNotContain(model.Flags, f => f.Name is "invtsc" or "x2apic" or "hypervisor");
            return;
        }

        Assert.Empty(model.UnverifiedNodes);
        Assert.All(model.Flags, f => Assert.Equal("qemu", f.Sources["this"]));
        var cpu = string.Join(',', new[] { model.ReportedModel }.Concat(model.Flags.Select(f => "+" + f.Name)));
        var (outcome, stderr) = await StartWithEnforceAsync(answer.Binary, cpu);
        Assert.True(outcome == Outcome.Started, $"{cpu}: {stderr}");
    }

    [Fact]
    public async Task Without_dev_kvm_there_is_no_answer_and_the_error_says_why()
    {
        var missing = Path.Combine(Path.GetTempPath(), "proxclmc-no-kvm-" + Guid.NewGuid().ToString("N"));
        var probe = new QemuProbe(new QemuProbeOptions { KvmDevice = missing, Binary = "/bin/true" });

        var result = await probe.ProbeAsync(CancellationToken.None);

        Assert.Null(result.Answer);
        Assert.Equal($"{missing} does not exist: KVM is not available on this host, so QEMU cannot say what a VM could run here", result.Error);
    }

    [Fact]
    public async Task A_configured_binary_that_does_not_exist_is_named()
    {
        var probe = new QemuProbe(new QemuProbeOptions { Binary = "/nonexistent/qemu-kvm" });

        var result = await probe.ProbeAsync(CancellationToken.None);

        Assert.Equal("/nonexistent/qemu-kvm ([facts] qemu_binary): no such file", result.Error);
    }

    [Fact]
    public async Task A_binary_that_answers_nothing_gives_an_error_not_a_hang()
    {
        // /bin/cat echoes the commands back: JSON lines, but no answer to any question.
        var probe = new QemuProbe(new QemuProbeOptions { Binary = "/bin/cat", KvmDevice = "/dev/null", Timeout = TimeSpan.FromSeconds(5) });

        var result = await probe.ProbeAsync(CancellationToken.None);

        Assert.Null(result.Answer);
        Assert.StartsWith("/bin/cat", result.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Starts a VM-less QEMU with the CPU and enforce, frozen (-S): a QEMU that answers query-status ("prelaunch") from its
    /// main loop has created the CPU and counts as started; it is then told to quit.
    /// </summary>
    private static async Task<(Outcome, string)> StartWithEnforceAsync(string binary, string cpu)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-accel", "kvm", "-machine", "pc", "-nodefaults", "-display", "none", "-S", "-m", "16", "-cpu", cpu + ",enforce", "-qmp", "stdio" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(StartTimeout);
        var stderrTask = process.StandardError.ReadToEndAsync(timeout.Token);
        var greeted = false;
        try
        {
            // QEMU greets on QMP before it creates the machine; only an answer to a command comes from its main loop,
            // which runs after the CPU was created and enforce checked it.
            await process.StandardInput.WriteLineAsync("{\"execute\":\"qmp_capabilities\"}");
            await process.StandardInput.WriteLineAsync("{\"execute\":\"query-status\",\"id\":\"status\"}");
            await process.StandardInput.WriteLineAsync("{\"execute\":\"quit\"}");
            await process.StandardInput.FlushAsync();
        }
        catch (IOException)
        {
            // QEMU exited before reading the commands.
        }

        try
        {
            var stdout = await process.StandardOutput.ReadToEndAsync(timeout.Token);
            greeted = stdout.Contains("\"id\": \"status\"", StringComparison.Ordinal) && stdout.Contains("\"prelaunch\"", StringComparison.Ordinal);
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }

        string stderr;
        try
        {
            stderr = await stderrTask;
        }
        catch (OperationCanceledException)
        {
            stderr = "(no stderr within the timeout)";
        }

        var line = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        if (greeted)
        {
            return (Outcome.Started, line);
        }

        return stderr.Contains("support requested feature", StringComparison.OrdinalIgnoreCase)
            ? (Outcome.RefusedByEnforce, line)
            : (Outcome.OtherFailure, line.Length > 0 ? line : $"exit {(process.HasExited ? process.ExitCode : -1)}");
    }
}

/// <summary>
/// The enforce probes start well over a hundred QEMU processes: they run alone, so that tests with short network
/// timeouts (the fake Proxmox API) never share the CPU with them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KvmCollection
{
    public const string Name = "real KVM";
}
