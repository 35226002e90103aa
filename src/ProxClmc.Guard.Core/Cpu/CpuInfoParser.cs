using System.Globalization;
using System.Text;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Cpu;

public static class CpuInfoParser
{
    private const string X86Only = "(ProxClmc.Guard judges x86-64 nodes only)";

    /// <summary>Parses /proc/cpuinfo. Non-x86 files fail with an "unsupported architecture" error; never throws on any input.</summary>
    public static ParseResult<CpuInfo> Parse(string text, string source = "/proc/cpuinfo")
    {
        text ??= "";
        if (text.Length > InputLimits.MaxCpuInfoBytes
            || (text.Length > InputLimits.MaxCpuInfoBytes / 3 && Encoding.UTF8.GetByteCount(text) > InputLimits.MaxCpuInfoBytes))
        {
            return ParseResult<CpuInfo>.Fail(source, 0, 0,
                $"input is larger than {InputLimits.MaxCpuInfoBytes / (1024 * 1024)} MiB: not a /proc/cpuinfo (a 512-thread host's is about 1.5 MiB)");
        }

        if (text.AsSpan().Trim().IsEmpty)
        {
            return ParseResult<CpuInfo>.Fail(source, 0, 0, "empty input: no processor block (is this /proc/cpuinfo?)");
        }

        var scan = new Scan(text);
        var syntaxError = scan.Run(source);

        // A foreign architecture wins over any other complaint: its lines follow other rules.
        if (scan.ForeignArch is not null)
        {
            return ParseResult<CpuInfo>.Fail(source, scan.ForeignArchLine, 1,
                $"unsupported architecture: {scan.ForeignArch} {X86Only}");
        }

        if (syntaxError is not null)
        {
            return ParseResult<CpuInfo>.Fail(syntaxError);
        }

        return scan.Build(source);
    }

    /// <summary>Facts from the Proxmox API's node status (<c>cpuinfo.model</c> and <c>cpuinfo.flags</c>); the vendor is inferred from the model name.</summary>
    public static ParseResult<CpuInfo> FromApi(string modelName, string flagsLine, string source)
    {
        modelName = (modelName ?? "").Trim();
        var flags = (flagsLine ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .ToHashSet(StringComparer.Ordinal);
        if (flags.Count == 0)
        {
            return ParseResult<CpuInfo>.Fail(source, 0, 0,
                "the node status has no cpuinfo.flags (Proxmox VE before 2019, or no Sys.Audit): read /proc/cpuinfo over SSH instead");
        }

        return ParseResult<CpuInfo>.Ok(new CpuInfo
        {
            // The API serves Proxmox VE nodes only, and Proxmox VE exists for x86-64 only.
            Architecture = "x86_64",
            VendorId = VendorFromModelName(modelName),
            ModelName = modelName,
            Flags = flags,
        });
    }

    /// <summary>GenuineIntel, AuthenticAMD or HygonGenuine as the model name shows it; empty when it does not say.</summary>
    public static string VendorFromModelName(string modelName)
    {
        if (modelName.Contains("Intel", StringComparison.OrdinalIgnoreCase))
        {
            return "GenuineIntel";
        }

        if (modelName.Contains("Hygon", StringComparison.OrdinalIgnoreCase))
        {
            return "HygonGenuine";
        }

        return modelName.Contains("AMD", StringComparison.Ordinal) ? "AuthenticAMD" : "";
    }

    /// <summary>One pass over the text, remembering where things are (offsets, not copies) to stay fast on 512 threads.</summary>
    private sealed class Scan(string text)
    {
        private readonly List<Block> blocks = [];
        private bool thirtyTwoBitLines;

        public string? ForeignArch { get; private set; }

        public int ForeignArchLine { get; private set; }

        private int lastLine;
        private int lastLineLength;

        public ParseError? Run(string source)
        {
            ParseError? error = null;

            // A byte-order mark from a file saved on Windows (a hand-made --assume-node file) is not part of the text.
            var pos = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
            var lineNo = 0;
            while (pos < text.Length)
            {
                lineNo++;
                var end = text.IndexOf('\n', pos);
                if (end < 0)
                {
                    end = text.Length;
                }

                var lineStart = pos;
                var lineEnd = end > pos && text[end - 1] == '\r' ? end - 1 : end;
                pos = end + 1;
                var line = text.AsSpan(lineStart, lineEnd - lineStart);
                lastLine = lineNo;
                lastLineLength = line.Length;

                if (error is null)
                {
                    for (var i = 0; i < line.Length; i++)
                    {
                        var ch = line[i];
                        if ((ch < ' ' && ch != '\t') || ch == '\u007f')
                        {
                            error = new ParseError(source, lineNo, i + 1,
                                $"binary data (character 0x{(int)ch:x2}): not a text /proc/cpuinfo");
                            break;
                        }
                    }
                }

                if (line.Trim().IsEmpty)
                {
                    continue;
                }

                var colon = line.IndexOf(':');
                if (colon < 0)
                {
                    error ??= new ParseError(source, lineNo, 1, "expected 'name : value'");
                    continue;
                }

                var key = line[..colon].Trim();
                var valueSpan = line[(colon + 1)..];
                var lead = valueSpan.Length - valueSpan.TrimStart().Length;
                var value = valueSpan.Trim();
                var valueStart = lineStart + colon + 1 + lead;
                var valueColumn = colon + 2 + lead;
                Handle(key, value, valueStart, lineNo, valueColumn, source, ref error);
            }

            return error;
        }

        private void Handle(ReadOnlySpan<char> key, ReadOnlySpan<char> value, int valueStart, int lineNo, int column, string source, ref ParseError? error)
        {
            if (key.SequenceEqual("processor"))
            {
                blocks.Add(new Block { Line = lineNo });
                return;
            }

            if (DetectForeign(key, value, lineNo))
            {
                return;
            }

            if (key is "fdiv_bug" or "hlt_bug" or "f00f_bug" or "coma_bug")
            {
                // Only a 32-bit kernel prints these (arch/x86/kernel/cpu/proc.c, CONFIG_X86_32).
                thirtyTwoBitLines = true;
                return;
            }

            if (blocks.Count == 0)
            {
                // x86 files start with "processor"; tolerate a header line or two but keep what follows.
                blocks.Add(new Block { Line = lineNo });
            }

            var block = blocks[^1];
            switch (key)
            {
                case "vendor_id":
                    block.Vendor ??= value.ToString();
                    break;
                case "flags":
                    block.FlagsStart = valueStart;
                    block.FlagsLength = value.Length;
                    break;
                case "bugs":
                    block.BugsStart = valueStart;
                    block.BugsLength = value.Length;
                    break;
                case "model name":
                    block.ModelName ??= value.ToString();
                    break;
                case "cpu family":
                    block.Family ??= Int(value, lineNo, column, key, source, ref error);
                    break;
                case "model":
                    block.Model ??= Int(value, lineNo, column, key, source, ref error);
                    break;
                case "stepping":
                    // Some hypervisors print "unknown".
                    block.Stepping ??= value.SequenceEqual("unknown") ? null : Int(value, lineNo, column, key, source, ref error);
                    break;
                case "microcode":
                    // Bounded: a value is one short hex word (0x718); never keep a line of any length.
                    block.Microcode ??= value.Length <= 64 ? value.ToString() : null;
                    break;
                case "address sizes":
                    block.PhysBits ??= PhysicalBits(value, lineNo, column, source, ref error);
                    break;
                case "power management":
                    // The kernel always prints this line last: a block without it was cut off.
                    block.Complete = true;
                    break;
            }
        }

        private bool DetectForeign(ReadOnlySpan<char> key, ReadOnlySpan<char> value, int lineNo)
        {
            string? arch = null;
            if (key.SequenceEqual("CPU architecture"))
            {
                // ARMv8 and later run aarch64 kernels in practice; 7 and below are 32-bit ARM.
                arch = int.TryParse(value.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v < 8 ? "arm" : "aarch64";
            }
            else if (key.SequenceEqual("CPU implementer") || key.SequenceEqual("Features"))
            {
                arch = "aarch64";
            }
            else if ((key.SequenceEqual("vendor_id") && value.StartsWith("IBM/S390", StringComparison.Ordinal))
                || key.SequenceEqual("features") || key.SequenceEqual("# processors"))
            {
                arch = "s390x";
            }
            else if ((key.SequenceEqual("cpu") && (value.StartsWith("POWER", StringComparison.Ordinal) || value.StartsWith("PPC", StringComparison.Ordinal)))
                || key.SequenceEqual("timebase") || key.SequenceEqual("platform"))
            {
                arch = "ppc64le";
            }
            else if (key.SequenceEqual("isa") || key.SequenceEqual("mmu") || key.SequenceEqual("uarch"))
            {
                arch = "riscv64";
            }
            else if (key.SequenceEqual("cpu model") || key.SequenceEqual("ASEs implemented"))
            {
                arch = "mips";
            }
            else if (key.SequenceEqual("Processor") && !value.IsEmpty)
            {
                arch = "arm";
            }

            if (arch is null)
            {
                return false;
            }

            if (ForeignArch is null)
            {
                // "arm" from the old "Processor : ARMv7 ..." line is refined by a later "CPU architecture: 8".
                ForeignArch = arch;
                ForeignArchLine = lineNo;
            }
            else if (ForeignArch == "arm" && arch == "aarch64" && key.SequenceEqual("CPU architecture"))
            {
                ForeignArch = arch;
            }

            return true;
        }

        public ParseResult<CpuInfo> Build(string source)
        {
            var warnings = new List<string>();
            if (blocks.Count == 0 || (blocks.TrueForAll(b => b.FlagsStart < 0) && blocks.TrueForAll(b => b.Vendor is null)))
            {
                return ParseResult<CpuInfo>.Fail(source, lastLine, 1,
                    "no processor block with 'vendor_id' and 'flags': not an x86 /proc/cpuinfo");
            }

            var first = blocks[0];
            if (first.FlagsStart < 0)
            {
                return ParseResult<CpuInfo>.Fail(source, lastLine, lastLineLength + 1,
                    $"processor block at line {first.Line} has no 'flags' line: the file looks cut off");
            }

            var usable = blocks;
            var last = blocks[^1];
            if (!last.Complete)
            {
                if (blocks.Count > 1)
                {
                    // Its flags line may itself be cut short: judging on it could invent missing flags.
                    usable = blocks.GetRange(0, blocks.Count - 1);
                    warnings.Add($"the file ends inside the block of processor {blocks.Count - 1} (line {last.Line}): it looks cut off; that block was left out");
                }
                else
                {
                    warnings.Add("the file ends before the 'power management' line: it looks cut off; judged on the lines present");
                }
            }

            for (var i = 1; i < usable.Count; i++)
            {
                if (usable[i].FlagsStart < 0)
                {
                    return ParseResult<CpuInfo>.Fail(source, usable[i].Line, 1,
                        $"processor block at line {usable[i].Line} has no 'flags' line");
                }
            }

            var firstFlags = text.AsSpan(first.FlagsStart, first.FlagsLength);
            var common = Words(firstFlags);
            HashSet<string>? union = null;
            var bugs = first.BugsStart >= 0 ? Words(text.AsSpan(first.BugsStart, first.BugsLength)) : [];
            foreach (var b in usable)
            {
                var flags = text.AsSpan(b.FlagsStart, b.FlagsLength);
                if (!flags.SequenceEqual(firstFlags))
                {
                    var set = Words(flags);
                    union ??= [.. common];
                    union.UnionWith(set);
                    common.IntersectWith(set);
                }

                if (b.BugsStart >= 0 && first.BugsStart >= 0
                    && !text.AsSpan(b.BugsStart, b.BugsLength).SequenceEqual(text.AsSpan(first.BugsStart, first.BugsLength)))
                {
                    // A bug on any processor is a bug of the node.
                    bugs.UnionWith(Words(text.AsSpan(b.BugsStart, b.BugsLength)));
                }
            }

            var notOnAll = union is null ? [] : union.Where(f => !common.Contains(f)).Order(StringComparer.Ordinal).ToList();

            // A 64-bit kernel runs in long mode, where every x86-64 CPU reports SYSCALL; Intel CPUs report it only there.
            // So "lm" without "syscall" is a 64-bit CPU under a 32-bit kernel, and no "lm" at all cannot be a 64-bit kernel.
            var is32 = thirtyTwoBitLines || !common.Contains("lm") || !common.Contains("syscall");
            return ParseResult<CpuInfo>.Ok(new CpuInfo
            {
                Architecture = is32 ? "i686" : "x86_64",
                VendorId = first.Vendor ?? "",
                Family = first.Family,
                Model = first.Model,
                Stepping = first.Stepping,
                ModelName = first.ModelName ?? "",
                Flags = common,
                Bugs = bugs,
                PhysicalAddressBits = first.PhysBits,
                Microcode = first.Microcode,
                ProcessorCount = usable.Count,
                FlagsNotOnAllProcessors = notOnAll,
                Warnings = warnings,
            });
        }

        private static HashSet<string> Words(ReadOnlySpan<char> s)
        {
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var range in s.SplitAny(' ', '\t'))
            {
                var w = s[range];
                if (!w.IsEmpty)
                {
                    set.Add(w.ToString());
                }
            }

            return set;
        }

        private static int? Int(ReadOnlySpan<char> value, int line, int column, ReadOnlySpan<char> key, string source, ref ParseError? error)
        {
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return n;
            }

            error ??= new ParseError(source, line, column, $"'{key}' is not a number: '{Clip(value)}'");
            return null;
        }

        private static int? PhysicalBits(ReadOnlySpan<char> value, int line, int column, string source, ref ParseError? error)
        {
            // "46 bits physical, 48 bits virtual"
            var space = value.IndexOf(' ');
            if (space > 0 && value[space..].StartsWith(" bits physical", StringComparison.Ordinal)
                && int.TryParse(value[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var bits) && bits is > 0 and <= 64)
            {
                return bits;
            }

            error ??= new ParseError(source, line, column, $"expected 'address sizes : <n> bits physical, <m> bits virtual', got '{Clip(value)}'");
            return null;
        }

        private static string Clip(ReadOnlySpan<char> value) => value.Length > 40 ? value[..40].ToString() + "..." : value.ToString();

        private sealed class Block
        {
            public int Line;
            public string? Vendor;
            public string? ModelName;
            public int? Family;
            public int? Model;
            public int? Stepping;
            public int? PhysBits;
            public string? Microcode;
            public int FlagsStart = -1;
            public int FlagsLength;
            public int BugsStart = -1;
            public int BugsLength;
            public bool Complete;
        }
    }
}
