using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProxClmc.Guard.FakePve;

/// <summary>
/// <c>GET /cluster/qemu/cpu-flags</c> as Proxmox answers it (pve-manager 9.1.15+, PVE/API2/Cluster/Qemu/CPUFlags.pm,
/// commits 6ed37d55 and 29028ca8; qemu-server src/PVE/QemuServer/CPUFlags.pm query_available_cpu_flags, commit
/// e6352be6):
/// <list type="bullet">
/// <item>Parameters <c>accel</c> (kvm or tcg, default kvm) and <c>arch</c> (x86_64 or aarch64, default the host's);
/// aarch64 answers an empty list; anything else is a 400.</item>
/// <item>Allowed with Sys.Audit on /nodes, or with Mapping.Audit, Mapping.Use or Mapping.Modify on /mapping/cpu; else
/// 403 "Permission check failed" (an <c>or</c> check names no path).</item>
/// <item>Every flag the answering node's QEMU recognises (pve-qemu-kvm's recognized-CPUID-flags-x86_64), each with the
/// nodes whose pvestatd broadcast it in <c>cpuflags-&lt;accel&gt;</c> (aliases normalised to QEMU's names, unrecognised
/// names dropped); <c>nested-virt</c> first, on the nodes that broadcast svm or vmx; then flags some node supports,
/// then the rest, each group by name. A node that broadcast nothing is in no list.</item>
/// </list>
/// The fake models no TCG flags: pvestatd broadcasts an empty <c>cpuflags-tcg</c> when its TCG query fails, a real state.
/// </summary>
internal static class FakeCpuFlags
{
    private static readonly Lazy<IReadOnlyList<string>> Recognized = new(() =>
    {
        using var stream = typeof(FakeCpuFlags).Assembly.GetManifestResourceStream("recognized-CPUID-flags-x86_64")
            ?? throw new InvalidOperationException("recognized-CPUID-flags-x86_64 missing from the fake");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    });

    // qemu-server CPUFlags.pm: the aliases Proxmox folds into QEMU's own names before broadcasting (from QEMU's
    // target/i386/cpu.c x86_cpu_initfn).
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["sse3"] = "pni", ["pclmuldq"] = "pclmulqdq", ["sse4-1"] = "sse4.1", ["sse4-2"] = "sse4.2", ["xd"] = "nx",
        ["ffxsr"] = "fxsr-opt", ["i64"] = "lm", ["ds_cpl"] = "ds-cpl", ["tsc_adjust"] = "tsc-adjust", ["fxsr_opt"] = "fxsr-opt",
        ["lahf_lm"] = "lahf-lm", ["cmp_legacy"] = "cmp-legacy", ["nodeid_msr"] = "nodeid-msr", ["perfctr_core"] = "perfctr-core",
        ["perfctr_nb"] = "perfctr-nb", ["kvm_nopiodelay"] = "kvm-nopiodelay", ["kvm_mmu"] = "kvm-mmu", ["kvm_asyncpf"] = "kvm-asyncpf",
        ["kvm_asyncpf_int"] = "kvm-asyncpf-int", ["kvm_steal_time"] = "kvm-steal-time", ["kvm_pv_eoi"] = "kvm-pv-eoi",
        ["kvm_pv_unhalt"] = "kvm-pv-unhalt", ["kvm_poll_control"] = "kvm-poll-control", ["svm_lock"] = "svm-lock",
        ["nrip_save"] = "nrip-save", ["tsc_scale"] = "tsc-scale", ["vmcb_clean"] = "vmcb-clean", ["pause_filter"] = "pause-filter",
        ["sse4_1"] = "sse4.1", ["sse4_2"] = "sse4.2", ["hv-apicv"] = "hv-avic", ["lbr_fmt"] = "lbr-fmt",
    };

    private static readonly HashSet<string> VmSpecific = new(StringComparer.Ordinal)
    {
        "nested-virt", "md-clear", "pcid", "spec-ctrl", "ssbd", "ibpb", "virt-ssbd", "amd-ssbd", "amd-no-ssb", "pdpe1gb",
        "hv-tlbflush", "hv-evmcs", "aes",
    };

    private static string Normalize(string flag) => Aliases.GetValueOrDefault(flag, flag);

    /// <summary>The true properties of the <c>host</c> expansion in published facts: what pvestatd's own query returns.</summary>
    public static IReadOnlyList<string>? FromPublishedFacts(string json)
    {
        try
        {
            var features = JsonNode.Parse(json)?["qemu"]?["hostFeatures"] as JsonArray;
            return features?.Select(f => f?.GetValueKind() == JsonValueKind.String ? Normalize(f.GetValue<string>()) : null).OfType<string>()
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A node whose KVM gives what its cpuinfo shows, except <paramref name="masked"/> (QEMU or cpuinfo names).</summary>
    public static IReadOnlyList<string> FromCpuInfo(string cpuinfo, IEnumerable<string> masked)
    {
        var (_, flags, _, _) = FakeCluster.ReadCpuInfo(cpuinfo);
        var without = masked.Select(m => Normalize(FakeCluster.QemuFlagName(m))).ToHashSet(StringComparer.Ordinal);
        return (flags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(f => Normalize(FakeCluster.QemuFlagName(f)))
            .Where(f => !without.Contains(f))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// <paramref name="answer"/> as a whole <c>{"data": [...]}</c> body, followed by flags <c>x-pad-000001</c>, ... each
    /// supported on <paramref name="nodes"/> named 64 times over, until the body is just under <paramref name="size"/>
    /// bytes: what a hostile API could send (see <see cref="FakeProxmoxOptions.CpuFlagsAnswerBytes"/>).
    /// </summary>
    public static byte[] Inflated(JsonArray answer, IReadOnlyList<string> nodes, int size)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(size);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("data");
            writer.WriteStartArray();
            foreach (var item in answer)
            {
                item?.WriteTo(writer);
            }

            // One made-up entry is 64 node names plus a little: stop while the next one and the closing brackets fit.
            var entry = 64 * (nodes.Max(n => n.Length) + 3) + 64;
            for (var i = 1; ; i++)
            {
                writer.Flush();
                if (buffer.WrittenCount + entry + 8 > size)
                {
                    break;
                }

                writer.WriteStartObject();
                writer.WriteString("name", $"x-pad-{i:D6}");
                writer.WriteStartArray("supported-on");
                for (var k = 0; k < 64; k++)
                {
                    writer.WriteStringValue(nodes[k % nodes.Count]);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The answer's <c>data</c> for <paramref name="accel"/> and <paramref name="arch"/> (both already validated).</summary>
    public static JsonArray Answer(IEnumerable<FakeNode> nodes, string accel, string arch)
    {
        var list = new JsonArray();
        if (arch == "aarch64")
        {
            return list;
        }

        // QEMU's list names a few flags twice (kvmclock, vmx-invept-single-context); Proxmox keys a hash by name.
        var supportedOn = Recognized.Value.Distinct(StringComparer.Ordinal).ToDictionary(f => f, _ => new SortedSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        supportedOn.TryAdd("nested-virt", new SortedSet<string>(StringComparer.Ordinal));
        foreach (var node in nodes)
        {
            if (accel != "kvm" || node.KvmFlags is not { } flags)
            {
                continue;
            }

            foreach (var flag in flags.Select(Normalize))
            {
                if (supportedOn.TryGetValue(flag, out var on))
                {
                    on.Add(node.Name);
                }

                if (flag is "svm" or "vmx")
                {
                    supportedOn["nested-virt"].Add(node.Name);
                }
            }
        }

        var nested = supportedOn["nested-virt"];
        list.Add(Entry("nested-virt", nested));
        foreach (var (name, on) in supportedOn.Where(f => f.Key != "nested-virt").OrderBy(f => f.Value.Count == 0).ThenBy(f => f.Key, StringComparer.Ordinal))
        {
            list.Add(Entry(name, on));
        }

        return list;
    }

    private static JsonObject Entry(string name, SortedSet<string> on)
    {
        var entry = new JsonObject { ["name"] = name, ["supported-on"] = new JsonArray(on.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()) };
        if (VmSpecific.Contains(name))
        {
            entry["description"] = name == "nested-virt" ? "Nested virtualisation: svm on AMD, vmx on Intel hosts." : $"May be set per VM ({name}).";
        }
        else if (name is "svm" or "vmx")
        {
            entry["description"] = "Raw nested virtualisation flag; nested-virt is the portable form.";
        }

        return entry;
    }
}
