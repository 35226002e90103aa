using System.Globalization;
using ProxClmc.Guard.Core.Guests;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Ha;

/// <summary>
/// Parses /etc/pve/ha/resources.cfg, groups.cfg (up to PVE 8) and rules.cfg (PVE 9).
/// <para>
/// All three are PVE::SectionConfig files (pve-common f665029, src/PVE/SectionConfig.pm parse_config): lines whose
/// first non-blank is <c>#</c> are skipped everywhere; a header <c>type: id</c> opens a section; indented
/// <c>key [value]</c> lines follow (a boolean key without a value is 1); an empty line closes the section.
/// The sections and keys follow pve-ha-manager b71218f (src/PVE/HA/Resources.pm, Groups.pm, Rules.pm,
/// Rules/NodeAffinity.pm, Rules/ResourceAffinity.pm, Tools.pm parse_node_priority): resources are <c>vm: &lt;vmid&gt;</c>
/// or <c>ct: &lt;vmid&gt;</c> with <c>state</c>, <c>group</c>, <c>failback</c>; groups have <c>nodes</c>
/// (<c>node[:priority]</c>, comma separated), <c>restricted</c>, <c>nofailback</c>; rules are <c>node-affinity</c>
/// (<c>resources</c>, <c>nodes</c>, <c>strict</c>) or <c>resource-affinity</c> (<c>resources</c>,
/// <c>affinity positive|negative</c>), both with <c>disable</c> and <c>comment</c>.
/// </para>
/// <para>
/// Proxmox warns about a section it cannot use and skips it; a skipped rule changes where a guest may run, so here a
/// bad header or a bad value of a placement key is an error with file, line and column. Keys that do not decide
/// placement (<c>comment</c>, <c>max_restart</c>, keys of newer releases) are not checked.
/// </para>
/// </summary>
public static class HaConfigParser
{
    public static ParseResult<HaConfig> ParseResources(string text, string source = "ha/resources.cfg")
    {
        var sections = ReadSections(text, source, out var error);
        if (error is not null)
        {
            return ParseResult<HaConfig>.Fail(error);
        }

        var resources = new List<HaResource>();
        foreach (var section in sections!)
        {
            if (section.Type is not ("vm" or "ct"))
            {
                return Fail(source, section.Line, 1, $"unknown resource type '{section.Type}' (expected 'vm' or 'ct')");
            }

            // Resources/PVEVM.pm and PVECT.pm verify_name: a VMID of at least three digits.
            if (!TryVmId(section.Id, out var vmId))
            {
                return Fail(source, section.Line, section.IdColumn, $"'{section.Id}' is not a valid VMID (100 to 999999999)");
            }

            var resource = new HaResource { Type = section.Type, VmId = vmId };
            foreach (var p in section.Properties)
            {
                switch (p.Key)
                {
                    case "state":
                        HaResourceState? state = p.Value switch
                        {
                            "started" or "enabled" => HaResourceState.Started,
                            "stopped" => HaResourceState.Stopped,
                            "disabled" => HaResourceState.Disabled,
                            "ignored" => HaResourceState.Ignored,
                            _ => null,
                        };
                        if (state is null)
                        {
                            return Fail(source, p.Line, p.ValueColumn, $"state: '{p.Value}' is not one of started, stopped, enabled, disabled, ignored");
                        }

                        resource = resource with { State = state.Value };
                        break;
                    case "group":
                        if (p.Value is null || !ConfigId.IsValid(p.Value))
                        {
                            return Fail(source, p.Line, p.ValueColumn, $"group: '{p.Value}' is not a valid group name");
                        }

                        resource = resource with { Group = p.Value };
                        break;
                    case "failback":
                        if (!Boolean(p, out var failback))
                        {
                            return NotBoolean(source, p);
                        }

                        resource = resource with { Failback = failback };
                        break;
                }
            }

            resources.Add(resource);
        }

        return ParseResult<HaConfig>.Ok(new HaConfig { Resources = resources });
    }

    public static ParseResult<HaConfig> ParseGroups(string text, string source = "ha/groups.cfg")
    {
        var sections = ReadSections(text, source, out var error);
        if (error is not null)
        {
            return ParseResult<HaConfig>.Fail(error);
        }

        var groups = new List<HaGroup>();
        foreach (var section in sections!)
        {
            if (section.Type != "group")
            {
                return Fail(source, section.Line, 1, $"unknown section type '{section.Type}' (expected 'group')");
            }

            if (!ConfigId.IsValid(section.Id))
            {
                return Fail(source, section.Line, section.IdColumn, $"'{section.Id}' is not a valid group name");
            }

            var group = new HaGroup { Name = section.Id };
            var hasNodes = false;
            foreach (var p in section.Properties)
            {
                switch (p.Key)
                {
                    case "nodes":
                        var nodes = NodeList(p, out var nodeError);
                        if (nodes is null)
                        {
                            return Fail(source, p.Line, p.ValueColumn, "nodes: " + nodeError);
                        }

                        group = group with { Nodes = nodes };
                        hasNodes = true;
                        break;
                    case "restricted":
                        if (!Boolean(p, out var restricted))
                        {
                            return NotBoolean(source, p);
                        }

                        group = group with { Restricted = restricted };
                        break;
                    case "nofailback":
                        if (!Boolean(p, out var nofailback))
                        {
                            return NotBoolean(source, p);
                        }

                        group = group with { NoFailback = nofailback };
                        break;
                }
            }

            if (!hasNodes)
            {
                return Fail(source, section.Line, 1, $"group '{section.Id}' has no 'nodes'");
            }

            groups.Add(group);
        }

        return ParseResult<HaConfig>.Ok(new HaConfig { Groups = groups });
    }

    public static ParseResult<HaConfig> ParseRules(string text, string source = "ha/rules.cfg")
    {
        var sections = ReadSections(text, source, out var error);
        if (error is not null)
        {
            return ParseResult<HaConfig>.Fail(error);
        }

        var rules = new List<HaRule>();
        foreach (var section in sections!)
        {
            HaRuleType type;
            switch (section.Type)
            {
                case "node-affinity":
                    type = HaRuleType.NodeAffinity;
                    break;
                case "resource-affinity":
                    type = HaRuleType.ResourceAffinity;
                    break;
                default:
                    return Fail(source, section.Line, 1, $"unknown rule type '{section.Type}' (expected 'node-affinity' or 'resource-affinity')");
            }

            if (!ConfigId.IsValid(section.Id))
            {
                return Fail(source, section.Line, section.IdColumn, $"'{section.Id}' is not a valid rule id");
            }

            var rule = new HaRule { Id = section.Id, Type = type, Origin = $"{source}:{section.Line}" };
            bool hasResources = false, hasNodes = false, hasAffinity = false;
            foreach (var p in section.Properties)
            {
                switch (p.Key)
                {
                    case "resources":
                        var resources = ResourceList(p.Value, out var resourceError);
                        if (resources is null)
                        {
                            return Fail(source, p.Line, p.ValueColumn, "resources: " + resourceError);
                        }

                        rule = rule with { Resources = resources };
                        hasResources = true;
                        break;
                    case "disable":
                        if (!Boolean(p, out var disabled))
                        {
                            return NotBoolean(source, p);
                        }

                        rule = rule with { Disabled = disabled };
                        break;
                    case "nodes" when type == HaRuleType.NodeAffinity:
                        var nodes = NodeList(p, out var nodeError);
                        if (nodes is null)
                        {
                            return Fail(source, p.Line, p.ValueColumn, "nodes: " + nodeError);
                        }

                        rule = rule with { Nodes = nodes };
                        hasNodes = true;
                        break;
                    case "strict" when type == HaRuleType.NodeAffinity:
                        if (!Boolean(p, out var strict))
                        {
                            return NotBoolean(source, p);
                        }

                        rule = rule with { Strict = strict };
                        break;
                    case "affinity" when type == HaRuleType.ResourceAffinity:
                        if (p.Value is not ("positive" or "negative"))
                        {
                            return Fail(source, p.Line, p.ValueColumn, $"affinity: '{p.Value}' is not 'positive' or 'negative'");
                        }

                        rule = rule with { Positive = p.Value == "positive" };
                        hasAffinity = true;
                        break;
                    case "nodes" or "strict" or "affinity":
                        return Fail(source, p.Line, p.KeyColumn, $"'{p.Key}' does not belong in a {section.Type} rule");
                }
            }

            if (!hasResources)
            {
                return Fail(source, section.Line, 1, $"rule '{section.Id}' has no 'resources'");
            }

            if (type == HaRuleType.NodeAffinity && !hasNodes)
            {
                return Fail(source, section.Line, 1, $"node-affinity rule '{section.Id}' has no 'nodes'");
            }

            if (type == HaRuleType.ResourceAffinity && !hasAffinity)
            {
                return Fail(source, section.Line, 1, $"resource-affinity rule '{section.Id}' has no 'affinity'");
            }

            rules.Add(rule);
        }

        return ParseResult<HaConfig>.Ok(new HaConfig { Rules = rules });
    }

    // ---- the section file ----------------------------------------------------------------------------------

    private sealed record Property(string Key, string? Value, int Line, int KeyColumn, int ValueColumn);

    private sealed record Section(string Type, string Id, int Line, int IdColumn, List<Property> Properties);

    private static List<Section>? ReadSections(string text, string source, out ParseError? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        if (text.Length > InputLimits.MaxPmxcfsFileBytes)
        {
            error = new ParseError(source, 0, 0, $"file is larger than pmxcfs allows ({InputLimits.MaxPmxcfsFileBytes} bytes)");
            return null;
        }

        var sections = new List<Section>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        Section? current = null;
        var lines = text.Split('\n');
        for (var index = 0; index < lines.Length; index++)
        {
            var lineNo = index + 1;
            var line = lines[index];
            var trimmed = line.TrimStart(Blanks);
            if (trimmed.StartsWith('#'))
            {
                continue;
            }

            if (line.Length == 0)
            {
                current = null;
                continue;
            }

            if (trimmed.TrimEnd(Blanks).Length == 0)
            {
                // Whitespace only: SectionConfig ignores the line (it neither opens nor closes a section).
                continue;
            }

            if (!IsBlank(line[0]))
            {
                if (current is not null)
                {
                    error = new ParseError(source, lineNo, 1, "a new section must be separated from the previous one by an empty line");
                    return null;
                }

                // Header: ^(\S+):\s*(\S+)\s*$
                var colon = line.IndexOf(':');
                var content = line.TrimEnd(Blanks);
                if (colon <= 0 || line[..colon].IndexOfAny(Blanks) >= 0)
                {
                    error = new ParseError(source, lineNo, 1, $"expected a section header '<type>: <id>', got '{Clip(content)}'");
                    return null;
                }

                var rest = content[(colon + 1)..].TrimStart(Blanks);
                var idColumn = content.Length - rest.Length + 1;
                if (rest.Length == 0 || rest.IndexOfAny(Blanks) >= 0)
                {
                    error = new ParseError(source, lineNo, idColumn, $"expected one id after '{line[..colon]}:', got '{Clip(rest)}'");
                    return null;
                }

                var type = line[..colon].ToLowerInvariant();
                var key = type + ":" + rest;
                if (ids.TryGetValue(key, out var first))
                {
                    error = new ParseError(source, lineNo, idColumn, $"'{type}: {Clip(rest)}' is defined twice (first at line {first})");
                    return null;
                }

                ids[key] = lineNo;
                current = new Section(type, rest, lineNo, idColumn, []);
                sections.Add(current);
                continue;
            }

            if (current is null)
            {
                error = new ParseError(source, lineNo, 1, $"'{Clip(trimmed.TrimEnd(Blanks))}' is outside any section");
                return null;
            }

            // Property: ^\s+(\S+)(\s+(.*\S))?\s*$
            var keyStart = line.Length - trimmed.Length;
            var body = trimmed.TrimEnd(Blanks);
            var split = body.IndexOfAny(Blanks);
            var name = split < 0 ? body : body[..split];
            var value = split < 0 ? null : body[split..].TrimStart(Blanks);
            var valueColumn = value is null ? keyStart + 1 : keyStart + 1 + (body.Length - value.Length);
            if (current.Properties.Any(p => p.Key == name))
            {
                error = new ParseError(source, lineNo, keyStart + 1, $"'{Clip(name)}' is given twice in '{current.Type}: {Clip(current.Id)}'");
                return null;
            }

            current.Properties.Add(new Property(name, value, lineNo, keyStart + 1, valueColumn));
        }

        return sections;
    }

    /// <summary>PVE::Tools::split_list: items separated by commas, semicolons or blanks.</summary>
    private static string[] SplitList(string value) =>
        value.Split([',', ';', ' ', '\t', '\0'], StringSplitOptions.RemoveEmptyEntries);

    private static List<HaNodePriority>? NodeList(Property p, out string? error)
    {
        error = null;
        if (p.Value is null)
        {
            error = "no value";
            return null;
        }

        var nodes = new List<HaNodePriority>();
        foreach (var entry in SplitList(p.Value))
        {
            // Tools.pm parse_node_priority: ^([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)(:(\d+))?$, no priority is 0.
            var colon = entry.IndexOf(':');
            var node = colon < 0 ? entry : entry[..colon];
            var priority = 0;
            if (!IsNodeName(node)
                || (colon >= 0 && (colon == entry.Length - 1 || !entry[(colon + 1)..].All(char.IsAsciiDigit)
                                   || !int.TryParse(entry[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out priority))))
            {
                error = $"'{Clip(entry)}' is not 'node' or 'node:priority'";
                return null;
            }

            if (nodes.Any(n => n.Node == node))
            {
                error = $"node '{node}' is listed twice";
                return null;
            }

            nodes.Add(new HaNodePriority(node, priority));
        }

        if (nodes.Count == 0)
        {
            error = "no node listed";
            return null;
        }

        return nodes;
    }

    private static List<string>? ResourceList(string? value, out string? error)
    {
        error = null;
        var resources = new List<string>();
        foreach (var sid in SplitList(value ?? ""))
        {
            // Tools.pm pve_verify_ha_resource_id: ^[a-z]+:\S+$
            var colon = sid.IndexOf(':');
            if (colon <= 0 || colon == sid.Length - 1 || !sid[..colon].All(char.IsAsciiLetterLower))
            {
                error = $"'{Clip(sid)}' is not a resource id like vm:100 or ct:101";
                return null;
            }

            if (!resources.Contains(sid))
            {
                resources.Add(sid);
            }
        }

        if (resources.Count == 0)
        {
            error = "no resource listed";
            return null;
        }

        return resources;
    }

    internal static bool IsNodeName(string node)
    {
        if (node.Length == 0 || !char.IsAsciiLetterOrDigit(node[0]) || !char.IsAsciiLetterOrDigit(node[^1]))
        {
            return false;
        }

        return node.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
    }

    private static bool TryVmId(string text, out int vmId)
    {
        vmId = 0;
        return text.Length is >= 3 and <= 9 && text[0] != '0' && text.All(char.IsAsciiDigit)
               && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out vmId) && vmId >= 100;
    }

    private static bool Boolean(Property p, out bool value)
    {
        if (p.Value is null)
        {
            value = true;
            return true;
        }

        return GuestCpu.TryParseBoolean(p.Value, out value);
    }

    private static ParseResult<HaConfig> NotBoolean(string source, Property p) =>
        Fail(source, p.Line, p.ValueColumn, $"{p.Key}: '{Clip(p.Value ?? "")}' is not a boolean (1/on/yes/true or 0/off/no/false)");

    private static ParseResult<HaConfig> Fail(string source, int line, int column, string message) =>
        ParseResult<HaConfig>.Fail(source, line, column, message);

    private static readonly char[] Blanks = [' ', '\t', '\r', '\f', '\v'];

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\r' or '\f' or '\v';

    /// <summary>Hostile files can have huge lines: quote at most 60 characters of them.</summary>
    private static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "...";
}
