using System.CommandLine;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.OwnFacts;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.Cpu;
using ProxClmc.Guard.Core.Facts;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>facts [--publish]</c>: this node's own facts (cpuinfo, kernel, microcode and QEMU's answer under KVM);
/// <c>--publish</c> writes them to &lt;pve_root&gt;/nodes/&lt;node&gt;/proxclmc-guard/facts.json for every other node.
/// </summary>
internal static class FactsCommand
{
    public static Command Create(VerbRunner cli)
    {
        var publish = new Option<bool>("--publish")
        {
            Description = "Also write the facts atomically to <pve_root>/nodes/<this node>/proxclmc-guard/facts.json (pmxcfs replicates it to every node)",
        };
        var command = new Command(
            "facts",
            "Show this node's facts: /proc/cpuinfo, kernel, microcode, and what its QEMU can run under KVM (query-cpu-definitions, host expansion)");
        command.Options.Add(publish);
        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx => ExecuteAsync(ctx, parse.GetValue(publish), ct)));
        return command;
    }

    public static async Task<int> ExecuteAsync(CommandContext ctx, bool publish, CancellationToken cancellationToken)
    {
        var settings = ctx.Settings;
        if (settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("facts --format prometheus: a node's facts have no metrics; use table or json");
        }

        // facts reads this machine; printing it for a snapshot would show the wrong host under the snapshot's name.
        if (settings.From is { } from)
        {
            throw new UsageException($"facts --from {from}: facts describes this node only; for the nodes of a snapshot use `proxclmc-guard baseline --from {from}` (-v for every flag)");
        }

        var node = settings.LocalNode ?? ctx.Environment.HostName();
        var useCase = CompositionRoot.Facts(settings, ctx.Environment);
        var request = new FactsRequest(node, publish);
        var read = await useCase.ReadAsync(request, cancellationToken).ConfigureAwait(false);
        var facts = read.Facts;
        if (facts.Qemu is null)
        {
            ctx.Log.Warning("No QEMU answer on {Node}: {QemuError}; this node is judged from /proc/cpuinfo", node, facts.QemuError);
        }

        var publishedTo = (await useCase.PublishAsync(request, read, cancellationToken).ConfigureAwait(false)).PublishedTo;
        if (publishedTo is not null)
        {
            ctx.Log.Information("Published the facts of {Node} to {Path}", node, publishedTo);
        }

        if (settings.Format == OutputFormat.Json)
        {
            ctx.Out.Write(facts.ToJson());
        }
        else
        {
            WriteText(ctx.Out, facts, publishedTo, ctx.Width, !ctx.Settings.Verbose);
        }

        return ExitCodes.Ok;
    }

    /// <summary>The facts as a two-column table, each line fitted to the width (whole with -v and in JSON).</summary>
    private static void WriteText(TextWriter writer, NodeFactsDocument facts, string? publishedTo, int width, bool shorten)
    {
        var output = new FittedWriter(writer, width, shorten);
        output.WriteLine($"Node:       {facts.Node}");
        output.WriteLine($"Kernel:     {(facts.Kernel.Length > 0 ? facts.Kernel : "-")}");
        output.WriteLine($"Microcode:  {(facts.Microcode.Length > 0 ? facts.Microcode : "-")}");
        var cpu = CpuInfoParser.Parse(facts.CpuInfo, "cpuinfo");
        output.WriteLine($"CPU:        {(cpu.IsSuccess ? Rendering.Names.ModelName(cpu.Value.ModelName) : cpu.Error.Message)}");
        if (facts.Qemu is not { } qemu)
        {
            output.WriteLine($"QEMU:       none ({facts.QemuError}); this node is judged from /proc/cpuinfo");
        }
        else
        {
            var usable = qemu.Models.Where(m => m.Usable).Select(m => m.Name).ToList();
            output.WriteLine($"QEMU:       {qemu.Version} ({qemu.Binary}) under KVM: {usable.Count} of {qemu.Models.Count} models usable, host offers {qemu.HostFeatures.Count} features");
            if (cpu.IsSuccess)
            {
                var node = NodeCapability.Compute(NodeFacts.Readable(facts.Node, cpu.Value, FactsSource.Local) with { Qemu = qemu }, CpuCatalog.Default);
                output.WriteLine($"Level:      {CpuCatalog.LevelName(node.Level)} (judged by QEMU)");
                foreach (var level in CpuCatalog.Default.LevelModels)
                {
                    var check = node.Check(CpuRequirement.FromModel(level));
                    var why = check.CanRun ? "runs" : "refused: " + (check.MissingFlags.Count > 0 ? "lacks " + string.Join(", ", check.MissingFlags) : check.Reason ?? "unknown");
                    // The answer first: a row shortened to the width loses the end of the -cpu argument, never whether it runs.
                    output.WriteLine($"  {level.Name,-14} {why} (-cpu {ProxmoxCpuForms.CpuArgument(level)})");
                }
            }

            output.WriteLine($"Usable:     {(usable.Count == 0 ? "-" : string.Join(' ', usable))}");
        }

        if (publishedTo is not null)
        {
            output.WriteLine($"Published:  {publishedTo}");
        }
    }

    private sealed class FittedWriter(TextWriter output, int width, bool shorten)
    {
        public void WriteLine(string line) => output.WriteLine(Rendering.TableWidth.Fit(Rendering.Names.Visible(line), width, shorten));
    }
}
