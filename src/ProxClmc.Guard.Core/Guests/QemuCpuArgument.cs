using System.Text;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Guests;

/// <summary>A raw <c>-cpu model,+flag,-flag,flag=on,...</c> found in a VM's <c>args</c>; it overrides <c>cpu</c>.</summary>
/// <remarks>
/// Proxmox splits <c>args</c> like a shell (PVE::Tools::split_args) and appends the words after its own
/// <c>-cpu</c>, so QEMU takes the last <c>-cpu</c>: so do we. In the spec, <c>+f</c>/<c>-f</c> and
/// <c>f=on|off|true|false|yes|no</c> are CPU feature flags; QEMU's bare words and <c>key=value</c> that are not
/// features (Hyper-V enlightenments <c>hv_*</c>/<c>hv-*</c>, <c>kvm=off</c>, <c>vendor=</c>, <c>check</c>,
/// <c>enforce</c>, <c>level=</c>, ...) are kept in <see cref="OtherOptions"/> as written.
/// </remarks>
public sealed record QemuCpuArgument(string Model, IReadOnlyList<GuestCpuFlag> Flags, IReadOnlyList<string> OtherOptions)
{
    // x86 CPU properties that take on/off but describe no CPUID feature the host must have.
    private static readonly HashSet<string> NonFeatureSwitches = new(StringComparer.Ordinal)
    {
        "kvm", "check", "enforce", "migratable", "pmu", "l3-cache", "host-cache-info", "host-phys-bits",
        "vmware-cpuid-freq", "full-cpuid-auto-level", "kvm-pv-enforce-cpuid", "fill-mtrr-mask", "lmce",
        "cpuid-0xb", "legacy-cache", "legacy-multi-node", "kvm-no-smi-migration", "vendor",
    };

    /// <summary>
    /// Finds the <c>-cpu</c> in an <c>args</c> line: null when there is none, a failed result when a <c>-cpu</c>
    /// is present but cannot be parsed (the guest is then judged "unverified").
    /// </summary>
    public static ParseResult<QemuCpuArgument>? FindIn(string args, string source = "args")
    {
        source ??= "args";
        if (string.IsNullOrEmpty(args) || !args.Contains("cpu", StringComparison.Ordinal))
        {
            return null;
        }

        var words = SplitArgs(args, out var quoteError);
        if (words is null)
        {
            // An unbalanced quote makes Proxmox refuse to start the VM; say so only if a -cpu may be involved.
            return args.Contains("-cpu", StringComparison.Ordinal)
                ? ParseResult<QemuCpuArgument>.Fail(source, 1, quoteError + 1, "unbalanced quote in args: Proxmox's shell-like split drops the whole args line, so its -cpu is not applied as written")
                : null;
        }

        var found = -1;
        for (var i = 0; i < words.Count; i++)
        {
            if (words[i].Text is "-cpu" or "--cpu")
            {
                found = i;
            }
        }

        if (found < 0)
        {
            return null;
        }

        var cpuWord = words[found];
        if (found + 1 >= words.Count)
        {
            return ParseResult<QemuCpuArgument>.Fail(source, 1, cpuWord.Column, "-cpu is the last word of args: it has no model");
        }

        var spec = words[found + 1];
        return ParseSpec(spec.Text, source, spec.Column);
    }

    /// <summary>Parses a QEMU <c>-cpu</c> value such as <c>Haswell-noTSX,vendor=GenuineIntel,+invtsc,kvm=on</c>.</summary>
    public static ParseResult<QemuCpuArgument> ParseSpec(string spec, string source = "args", int column = 1)
    {
        if (spec.Length == 0)
        {
            return ParseResult<QemuCpuArgument>.Fail(source, 1, column, "-cpu has an empty model");
        }

        var parts = spec.Split(',');
        var model = parts[0];
        if (model.Length == 0)
        {
            return ParseResult<QemuCpuArgument>.Fail(source, 1, column, $"-cpu '{spec}' has no model before the first ','");
        }

        if (model[0] is '+' or '-' || model.Contains('=') || model == "help"
            || !IsName(model))
        {
            return ParseResult<QemuCpuArgument>.Fail(source, 1, column, $"-cpu '{spec}' does not start with a CPU model name");
        }

        var flags = new List<GuestCpuFlag>();
        var other = new List<string>();
        var at = column + model.Length + 1;
        for (var p = 1; p < parts.Length; p++)
        {
            var part = parts[p];
            var partColumn = at;
            at += part.Length + 1;
            if (part.Length == 0)
            {
                return ParseResult<QemuCpuArgument>.Fail(source, 1, partColumn, $"-cpu '{spec}' has an empty option");
            }

            if (part[0] is '+' or '-')
            {
                if (!GuestCpuFlag.IsFlagName(part.AsSpan(1)))
                {
                    return ParseResult<QemuCpuArgument>.Fail(source, 1, partColumn, $"-cpu option '{part}' is not a valid flag");
                }

                flags.Add(new GuestCpuFlag(part[0] == '+', part[1..]));
                continue;
            }

            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq];
            if (!IsName(name))
            {
                return ParseResult<QemuCpuArgument>.Fail(source, 1, partColumn, $"-cpu option '{part}' cannot be read");
            }

            var isNonFeature = NonFeatureSwitches.Contains(name)
                               || name.StartsWith("hv_", StringComparison.Ordinal)
                               || name.StartsWith("hv-", StringComparison.Ordinal)
                               || name.StartsWith("x-", StringComparison.Ordinal);
            if (eq < 0)
            {
                // QEMU's legacy bare word means "name=on"; for Hyper-V enlightenments and switches it is no CPU flag.
                if (isNonFeature)
                {
                    other.Add(part);
                }
                else
                {
                    flags.Add(new GuestCpuFlag(true, name));
                }

                continue;
            }

            var value = part[(eq + 1)..];
            if (!isNonFeature && TryParseSwitch(value, out var on))
            {
                flags.Add(new GuestCpuFlag(on, name));
            }
            else
            {
                other.Add(part);
            }
        }

        return ParseResult<QemuCpuArgument>.Ok(new QemuCpuArgument(model, flags, other));
    }

    private static bool TryParseSwitch(string value, out bool on)
    {
        switch (value)
        {
            case "on" or "true" or "yes":
                on = true;
                return true;
            case "off" or "false" or "no":
                on = false;
                return true;
            default:
                on = false;
                return false;
        }
    }

    private static bool IsName(string name) => GuestCpuFlag.IsFlagName(name);

    private readonly record struct Word(string Text, int Column);

    /// <summary>
    /// Shell-like word splitting as PVE::Tools::split_args (Text::ParseWords::shellwords): blanks separate words,
    /// '...' is literal, "..." and bare text honour backslash escapes. Null and the quote's offset when a quote is open.
    /// </summary>
    private static List<Word>? SplitArgs(string args, out int openQuoteAt)
    {
        openQuoteAt = -1;
        var words = new List<Word>();
        var sb = new StringBuilder();
        var inWord = false;
        var wordStart = 0;
        var i = 0;
        while (i < args.Length)
        {
            var c = args[i];
            if (c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v')
            {
                if (inWord)
                {
                    words.Add(new Word(sb.ToString(), wordStart + 1));
                    sb.Clear();
                    inWord = false;
                }

                i++;
                continue;
            }

            if (!inWord)
            {
                inWord = true;
                wordStart = i;
            }

            if (c == '\'')
            {
                var close = args.IndexOf('\'', i + 1);
                if (close < 0)
                {
                    openQuoteAt = i;
                    return null;
                }

                sb.Append(args, i + 1, close - i - 1);
                i = close + 1;
                continue;
            }

            if (c == '"')
            {
                var j = i + 1;
                while (j < args.Length && args[j] != '"')
                {
                    if (args[j] == '\\' && j + 1 < args.Length)
                    {
                        j++;
                    }

                    sb.Append(args[j]);
                    j++;
                }

                if (j >= args.Length)
                {
                    openQuoteAt = i;
                    return null;
                }

                i = j + 1;
                continue;
            }

            if (c == '\\' && i + 1 < args.Length)
            {
                sb.Append(args[i + 1]);
                i += 2;
                continue;
            }

            sb.Append(c);
            i++;
        }

        if (inWord)
        {
            words.Add(new Word(sb.ToString(), wordStart + 1));
        }

        return words;
    }
}
