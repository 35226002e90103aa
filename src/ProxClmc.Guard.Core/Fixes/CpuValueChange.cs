namespace ProxClmc.Guard.Core.Fixes;

/// <summary>
/// What a rewrite of a <c>cpu</c> value changes, said in a few words: <c>Haswell → x86-64-v2-AES</c>,
/// <c>phys-bits=host → 43</c>, <c>drops +ssbd</c>. Two values that share a long model name look alike once a table
/// shortens them; this is the part that differs, so a plan shows it first. Works on the property string's own
/// tokens (the bare first item is the cputype, <c>flags=</c> is a <c>;</c> list), so any value, even one Proxmox
/// refuses, gets an answer.
/// </summary>
public static class CpuValueChange
{
    public static string Describe(string? oldCpu, string? newCpu)
    {
        if (string.Equals(oldCpu, newCpu, StringComparison.Ordinal))
        {
            return "-";
        }

        if (newCpu is null)
        {
            return "removes cpu (kvm64)";
        }

        var before = Items(oldCpu);
        var after = Items(newCpu);
        var parts = new List<string>();

        var oldType = before.Type ?? "kvm64";
        var newType = after.Type ?? "kvm64";
        if (!string.Equals(oldType, newType, StringComparison.Ordinal))
        {
            parts.Add($"{oldType} → {newType}");
        }

        foreach (var (key, value) in before.Options)
        {
            if (!after.Options.TryGetValue(key, out var now))
            {
                parts.Add($"drops {key}={value}");
            }
            else if (!string.Equals(value, now, StringComparison.Ordinal))
            {
                parts.Add($"{key}={value} → {now}");
            }
        }

        foreach (var (key, value) in after.Options)
        {
            if (!before.Options.ContainsKey(key))
            {
                parts.Add($"adds {key}={value}");
            }
        }

        var dropped = before.Flags.Where(f => !after.Flags.Contains(f)).ToList();
        var added = after.Flags.Where(f => !before.Flags.Contains(f)).ToList();
        if (dropped.Count > 0)
        {
            parts.Add("drops " + string.Join(' ', dropped));
        }

        if (added.Count > 0)
        {
            parts.Add("adds " + string.Join(' ', added));
        }

        // Only the spelling differs (cputype= written out, another order).
        return parts.Count == 0 ? "same settings, rewritten" : string.Join(", ", parts);
    }

    private static (string? Type, Dictionary<string, string> Options, List<string> Flags) Items(string? value)
    {
        string? type = null;
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new List<string>();
        foreach (var item in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                type ??= item;
                continue;
            }

            var key = item[..equals];
            var rest = item[(equals + 1)..];
            if (key == "cputype")
            {
                type = rest;
            }
            else if (key == "flags")
            {
                flags.AddRange(rest.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
            else
            {
                options[key] = rest;
            }
        }

        return (type, options, flags);
    }
}
