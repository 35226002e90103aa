using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Core.Tests.Guests;

public sealed class VmConfigTests
{
    private static Dictionary<string, List<(int Line, string Message)>> ExpectedWarnings()
    {
        var result = new Dictionary<string, List<(int, string)>>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(Path.Combine(GuestCorpus.Fixtures, "vm-config-warnings.tsv")))
        {
            if (raw.Length == 0 || raw.StartsWith('#'))
            {
                continue;
            }

            var f = raw.Split('\t');
            if (!result.TryGetValue(f[0], out var list))
            {
                result[f[0]] = list = [];
            }

            list.Add((int.Parse(f[1]), f[2]));
        }

        return result;
    }

    public static TheoryData<string> CorpusConfigs()
    {
        var data = new TheoryData<string>();
        foreach (var file in GuestCorpus.VmConfigs)
        {
            data.Add(file);
        }

        return data;
    }

    [Fact]
    public void The_corpus_holds_the_250_vm_configs_its_notes_count()
    {
        // CPU-LINES.txt: 229 qemu-server test configs + 21 real-world ones.
        Assert.Equal(250, GuestCorpus.VmConfigs.Count);
        Assert.Empty(ExpectedWarnings().Keys.Except(GuestCorpus.VmConfigs));
    }

    [Theory]
    [MemberData(nameof(CorpusConfigs))]
    public void Corpus_config_parses_with_exactly_the_warnings_Proxmox_gives(string file)
    {
        var result = VmConfig.Parse(GuestCorpus.Read(file), file);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        var expected = ExpectedWarnings().GetValueOrDefault(file) ?? [];
        var actual = result.Value!.Warnings;
        Assert.Equal(expected.Select(e => e.Line), actual.Select(w => w.Line));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(file, actual[i].Source);
            Assert.Contains(expected[i].Message, actual[i].Message, StringComparison.Ordinal);
        }

        var strict = VmConfig.ParseStrict(GuestCorpus.Read(file), file);
        if (expected.Count == 0)
        {
            Assert.True(strict.IsSuccess, strict.Error?.ToString());
        }
        else
        {
            Assert.False(strict.IsSuccess);
            Assert.Equal(expected[0].Line, strict.Error!.Line);
        }
    }

    [Theory]
    [InlineData("cloudinit-snapshot.conf")]
    [InlineData("duplicate-sections.conf")]
    [InlineData("unknown-sections.conf")]
    [InlineData("verify-snapshot.conf")]
    public void Lenient_parse_keeps_what_Proxmox_keeps(string name)
    {
        // parse-config-expected holds what Proxmox wrote back after its non-strict parse of parse-config-input.
        var input = VmConfig.Parse(GuestCorpus.Read("parse-config-input/" + name), name).GetValueOrThrow();
        var written = VmConfig.Parse(GuestCorpus.Read("parse-config-expected/" + name), name).GetValueOrThrow();

        Assert.Empty(written.Warnings);
        Assert.Equal(Settings(written.Main), Settings(input.Main));
        Assert.Equal(written.Pending is null ? null : Settings(written.Pending), input.Pending is null ? null : Settings(input.Pending));
        Assert.Equal(written.Special.Select(s => s.Name), input.Special.Select(s => s.Name));
        Assert.Equal(written.Special.Select(Settings), input.Special.Select(Settings));
        Assert.Equal(written.Snapshots.Select(s => s.Name), input.Snapshots.Select(s => s.Name));
        Assert.Equal(written.Snapshots.Select(Settings), input.Snapshots.Select(Settings));
    }

    [Theory]
    [InlineData("cloudinit-snapshot.conf")]
    [InlineData("duplicate-sections.conf")]
    [InlineData("unknown-sections.conf")]
    [InlineData("verify-snapshot.conf")]
    public void Strict_parse_fails_with_Proxmox_strict_error(string name)
    {
        var expected = File.ReadAllText(Path.Combine(GuestCorpus.QemuServer, "parse-config-expected", name + ".strict.error")).Trim();
        const string prefix = "vm 8006 - ";
        Assert.StartsWith(prefix, expected, StringComparison.Ordinal);

        var result = VmConfig.ParseStrict(GuestCorpus.Read("parse-config-input/" + name), "qemu-server/8006.conf");

        Assert.False(result.IsSuccess);
        Assert.Contains(expected[prefix.Length..], result.Error!.Message, StringComparison.Ordinal);
        Assert.True(result.Error.Line > 0);
    }

    [Fact]
    public void Hibernated_vm_with_pending_change_and_ram_snapshot()
    {
        var config = VmConfig.Parse(GuestCorpus.ReadFixture("hibernated-with-pending-and-ram-snapshot.conf"), "4242.conf").GetValueOrThrow();
        Assert.Empty(config.Warnings);
        Assert.Equal(
            "Build host for the CI runners.\nDo not change cpu: host here, ask équipe infra first.\n\ncpu: x86-64-v4",
            config.Description);
        Assert.Equal(["numa", "balloon", "tablet"], config.PendingDeletes);
        Assert.Equal("ci-builder-ci", Assert.Single(config.Special).Get("name"));
        Assert.Equal("cloudinit", config.Special[0].Name);
        Assert.Equal(8, config.Main.LineOf("cpu"));

        var guest = config.ToGuest(4242, "pve2", "0123abcd", "/etc/pve/nodes/pve2/qemu-server/4242.conf");

        Assert.Equal(4242, guest.VmId);
        Assert.Equal("pve2", guest.Node);
        Assert.Equal("ci-builder", guest.Name);
        Assert.Equal(GuestType.Qemu, guest.Type);
        Assert.Null(guest.Status);
        Assert.False(guest.IsRunning);
        Assert.False(guest.Template);
        Assert.Equal("suspended", guest.Lock);
        Assert.Equal(["ci", "linux", "prod", "build"], guest.Tags);
        Assert.Equal("host,flags=+pcid;+aes", guest.Cpu);
        Assert.Equal("x86-64-v3", guest.PendingCpu);
        Assert.False(guest.PendingCpuDelete);
        Assert.Equal("host,+kvm_pv_eoi,+kvm_pv_unhalt,+pcid,+aes", guest.RunningCpu);
        Assert.Equal("-cpu 'host,+invtsc,hv_vendor_id=proxmox'", guest.Args);
        Assert.True(guest.Kvm);
        Assert.Equal("local:snippets/proxclmc-guard-hook.sh", guest.Hookscript);
        Assert.Equal("0123abcd", guest.Digest);
        Assert.Equal("/etc/pve/nodes/pve2/qemu-server/4242.conf", guest.Origin);
        Assert.Null(guest.ConfigError);
        Assert.Equal(
            [
                new GuestSnapshot("before-upgrade", "Skylake-Server,flags=+md-clear",
                    "Skylake-Server,enforce,+kvm_pv_eoi,+kvm_pv_unhalt,+md-clear,vendor=GenuineIntel", true),
                new GuestSnapshot("disk-only", "x86-64-v2-AES", null, false),
            ],
            guest.Snapshots);
    }

    [Fact]
    public void Pending_delete_of_cpu_template_and_pure_emulation()
    {
        var guest = VmConfig.Parse(GuestCorpus.ReadFixture("pending-cpu-delete.conf"), "pending-cpu-delete.conf")
            .GetValueOrThrow()
            .ToGuest(300, "pve1", null, null);

        Assert.True(guest.PendingCpuDelete);
        Assert.Null(guest.PendingCpu);
        Assert.Equal("Haswell-noTSX", guest.Cpu);
        Assert.False(guest.Kvm);
        Assert.True(guest.Template);
        Assert.Empty(guest.Snapshots);
        Assert.Null(guest.RunningCpu);
    }

    [Fact]
    public void Crlf_file_without_final_newline()
    {
        var config = VmConfig.Parse(GuestCorpus.ReadFixture("crlf-no-final-newline.conf"), "crlf.conf").GetValueOrThrow();
        var guest = config.ToGuest(101, "pve1", null, null);

        Assert.Equal("windows-box", guest.Name);
        Assert.Equal("x86-64-v2-AES,hidden=1", guest.Cpu);
        Assert.Equal("8192", config.Main.Get("memory"));
        Assert.Equal("a note", config.Description);
        Assert.Equal("host", guest.PendingCpu);
        Assert.Equal("a", config.Pending!.Get("tags"));
        var warning = Assert.Single(config.Warnings);
        Assert.Equal(8, warning.Line);
        Assert.Contains("unable to parse config: boot:", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Description_that_mentions_cpu_and_args_is_never_read_as_settings()
    {
        const string file = "real-world/technomagniaque-444-NO-cpu-line-description-mentions-cpu.conf";
        var config = VmConfig.Parse(GuestCorpus.Read(file), file).GetValueOrThrow();
        var guest = config.ToGuest(444, "pve", null, file);

        Assert.Null(guest.Cpu);
        Assert.Contains("\nargs: -device isa-applesmc", config.Description, StringComparison.Ordinal);
        Assert.Contains("<a href='https://hsve.cc/'", config.Description, StringComparison.Ordinal);
        Assert.Equal(1, config.Main.Entries.Count(e => e.Key == "args"));
        Assert.Equal(46, config.Main.LineOf("args"));
        var cpuArg = QemuCpuArgument.FindIn(guest.Args!)!.GetValueOrThrow();
        Assert.Equal("Haswell-noTSX", cpuArg.Model);
    }

    [Fact]
    public void Percent_encoded_description_lines_decode_and_real_keys_stay_apart()
    {
        const string file = "real-world/alexjbarnes-200-host-urlencoded-comments.conf";
        var config = VmConfig.Parse(GuestCorpus.Read(file), file).GetValueOrThrow();

        Assert.Equal(
            "scsi1: Odroid_PVE:200/vm-200-disk-0.qcow2,backup=0,iothread=1,size=100G\nscsi1: sda1:202/vm-202-disk-0.qcow2,backup=0,iothread=1,size=2000G",
            config.Description);
        Assert.Equal("sda1:200/vm-200-disk-0.qcow2,backup=0,iothread=1,size=2000G", config.Main.Get("scsi1"));
        Assert.Equal("host", config.ToGuest(200, "odroid", null, null).Cpu);
    }

    [Fact]
    public void Corpus_facts_lock_template_tags_snapshots_sections()
    {
        var locked = Load("parse-config-input/locked.conf").ToGuest(1422, "n", null, null);
        Assert.Equal("backup", locked.Lock);

        var plain = Load("parse-config-input/plain.conf");
        // "# plain VM": the description keeps the blank after '#', as Proxmox does.
        Assert.Equal(" plain VM", plain.Description);
        Assert.Equal(["foo", "bar"], plain.ToGuest(142, "n", null, null).Tags);
        Assert.Null(plain.ToGuest(142, "n", null, null).Lock);

        var template = Load("real-world/alexjbarnes-1000-template-x86-64-v2-AES.conf").ToGuest(1000, "n", null, null);
        Assert.True(template.Template);
        Assert.Equal("x86-64-v2-AES", template.Cpu);

        var sections = Load("parse-config-input/sections.conf");
        Assert.Equal("ovmf", sections.Pending!.Get("bios"));
        Assert.Empty(sections.PendingDeletes);
        Assert.Equal(["cloudinit"], sections.Special.Select(s => s.Name));
        Assert.Equal(["foo"], sections.Snapshots.Select(s => s.Name));
        Assert.Equal(27, sections.Snapshots[0].Line);

        var snapshots = Load("parse-config-input/snapshots.conf").ToGuest(111, "n", null, null);
        Assert.Equal(7, snapshots.Snapshots.Count);
        Assert.All(snapshots.Snapshots, s => Assert.Equal("x86-64-v2-AES", s.Cpu));
        Assert.All(snapshots.Snapshots, s => Assert.False(s.HasVmState));

        var fleecing = Load("parse-config-input/fleecing-section.conf");
        Assert.Equal("zfs:vm-120-fleece-0", Assert.Single(fleecing.Special).Get("fleecing-images"));

        var duplicate = Load("parse-config-input/duplicate-sections.conf");
        Assert.Equal("qxl", duplicate.Pending!.Get("vga"));
        Assert.Null(duplicate.Pending.Get("bios"));
        Assert.Equal("host", Assert.Single(duplicate.Snapshots).Get("cpu"));

        var rollback = Load("snapshot-input/rollback/qemu-server/203.conf");
        var ram = Assert.Single(rollback.Snapshots);
        Assert.Equal("test", ram.Name);
        Assert.Equal("delete", ram.Get("snapstate"));
        Assert.True(rollback.ToGuest(203, "n", null, null).Snapshots[0].HasVmState);

        var emptyBoot = Load("real-world/hongyizhao-101-NO-cpu-line-empty-boot-value.conf");
        Assert.Equal(" ", emptyBoot.Main.Get("boot"));
        Assert.Null(emptyBoot.ToGuest(101, "n", null, null).Cpu);

        var broken = Load("real-world/iroger-100-penryn-BROKEN-args-linebreak.conf").ToGuest(100, "n", null, null);
        Assert.EndsWith("-cpu Penryn,kvm=on,vendor=GenuineIntel,+kvm_pv_unhalt", broken.Args, StringComparison.Ordinal);
        Assert.Equal("local:snippets/reset-gpu.pl", broken.Hookscript);
        Assert.Equal("Penryn", broken.Cpu);
    }

    [Theory]
    [InlineData("cpu: host\nkvm: maybe\n", 2, 6, "type check ('boolean') failed - got 'maybe'")]
    [InlineData("cpu: host\ndelete: cpu\n", 2, 1, "'delete' is only allowed in [PENDING]")]
    [InlineData("cpu: host\n  name: indented\n", 2, 1, "unable to parse config")]
    [InlineData("cpu: host\nName: x\n", 2, 1, "unable to parse config: Name: x")]
    [InlineData("cpu: host\n[a]\nmemory: 1\n", 2, 1, "skipping unknown section: 'a'")]
    public void Lines_Proxmox_skips_are_warnings_with_position(string text, int line, int column, string message)
    {
        var config = VmConfig.Parse(text, "100.conf").GetValueOrThrow();
        var warning = Assert.Single(config.Warnings);
        Assert.Equal(line, warning.Line);
        Assert.Equal(column, warning.Column);
        Assert.Contains(message, warning.Message, StringComparison.Ordinal);
        Assert.Equal("host", config.Main.Get("cpu"));
        Assert.Null(config.Main.Get("memory"));
    }

    [Fact]
    public void Later_duplicate_key_wins_and_cdrom_is_ide2()
    {
        var config = VmConfig.Parse("cpu: host\ncdrom: none\ncpu: x86-64-v3\n", "100.conf").GetValueOrThrow();
        Assert.Equal("x86-64-v3", config.ToGuest(100, "n", null, null).Cpu);
        Assert.Equal(3, config.Main.LineOf("cpu"));
        Assert.Equal("none", config.Main.Get("ide2"));
    }

    [Fact]
    public void Oversized_input_is_refused()
    {
        var result = VmConfig.Parse(new string('#', InputLimits.MaxPmxcfsFileBytes + 1), "huge.conf");
        Assert.False(result.IsSuccess);
        Assert.Equal(0, result.Error!.Line);
    }

    [Fact]
    public void Fuzzed_input_gives_a_value_or_a_typed_error()
    {
        var seeds = GuestCorpus.VmConfigs.Select(GuestCorpus.Read).ToList();
        foreach (var input in Fuzz.InputsWithLongLines(seeds, Fuzz.Cases()))
        {
            var result = VmConfig.Parse(input, "fuzz.conf");
            Assert.True(result.IsSuccess || result.Error is not null);
            if (result.IsSuccess)
            {
                var guest = result.Value!.ToGuest(100, "n", null, null);
                Assert.Equal(100, guest.VmId);
                Assert.All(result.Value.Warnings, w => Assert.True(w.Line >= 1));
            }

            var strict = VmConfig.ParseStrict(input, "fuzz.conf");
            Assert.Equal(strict.IsSuccess, result.IsSuccess && result.Value!.Warnings.Count == 0);
        }
    }

    private static VmConfig Load(string relative) => VmConfig.Parse(GuestCorpus.Read(relative), relative).GetValueOrThrow();

    private static Dictionary<string, string> Settings(VmConfigSection section)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in section.Entries)
        {
            result[key] = value;
        }

        return result;
    }
}
