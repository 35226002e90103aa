using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ProxClmc.Guard.Core.Ha;

namespace ProxClmc.Guard.FakePve;

/// <summary>
/// The HA part of the fake: <c>GET /cluster/ha/resources</c>, <c>/groups</c> and <c>/rules</c> served from the
/// snapshot's ha/*.cfg, each entry with the file's digest (SHA-1 of the raw file), as pve-ha-manager b71218f answers
/// (src/PVE/API2/HA/Resources.pm, Groups.pm, Rules.pm): rules exist from PVE 9.0 on and list groups not yet
/// migrated as rules <c>ha-group-&lt;name&gt;</c>; groups exist up to 8.4, and on 9.x only while groups.cfg still
/// has groups ("cannot index groups: ha groups have been migrated to rules" otherwise). The rules index gives every
/// rule the HA manager's feasibility checks blame its <c>errors</c> (<c>{"resources": [messages]}</c>, index's
/// check_feasibility over the rules with the groups migrated, the cluster's nodes standing for the manager status's),
/// and creating a rule they would blame is refused with 400 "Rule '&lt;id&gt;' is invalid." (assert_feasibility).
/// </summary>
public sealed class FakeHa
{
    private readonly Dictionary<string, string> _raw = new(StringComparer.Ordinal);
    private readonly Func<IReadOnlyList<string>> _nodes;

    public FakeHa(string snapshotDir, Func<IReadOnlyList<string>> nodes)
    {
        _nodes = nodes;
        foreach (var file in new[] { "resources", "groups", "rules" })
        {
            var path = Path.Combine(snapshotDir, "ha", file + ".cfg");
            if (File.Exists(path))
            {
                _raw[file] = File.ReadAllText(path);
            }
        }
    }

    /// <summary>The privilege a request needs on "/" (API2/HA: Sys.Audit to read, Sys.Console to change).</summary>
    public static string Privilege(string method) => method == "GET" ? "Sys.Audit" : "Sys.Console";

    /// <summary>The current text of ha/{kind}.cfg (after writes), or null.</summary>
    public string? FileText(string kind) => _raw.GetValueOrDefault(kind);

    /// <summary>Someone else edits ha/{kind}.cfg (for tests of changes made between two runs).</summary>
    public void SetFileText(string kind, string text) => _raw[kind] = text;

    /// <summary>Answers an HA request: status, reason and data (null for anything else).</summary>
    public (int Status, string Reason, JsonNode? Data)? Route(string method, string[] segments, string version, Func<string, string?>? form = null)
    {
        var major = int.TryParse(version.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : 9;
        if (method != "GET")
        {
            return Write(method, segments, major, form ?? (_ => null));
        }

        if (segments is not ["cluster", "ha", var kind])
        {
            return null;
        }

        var groups = Parse("groups", HaConfigParser.ParseGroups).Groups;
        return kind switch
        {
            "resources" => (200, "OK", Resources(major >= 9 && groups.Count == 0)),
            "rules" when major >= 9 => (200, "OK", Rules(groups)),
            "groups" when major < 9 || groups.Count > 0 => (200, "OK", Groups(groups)),
            "groups" => (500, "cannot index groups: ha groups have been migrated to rules", null),
            _ => null,
        };
    }

    private (int Status, string Reason, JsonNode? Data)? Write(string method, string[] segments, int major, Func<string, string?> form)
    {
        var resources = Parse("resources", HaConfigParser.ParseResources).Resources.ToList();
        var groups = Parse("groups", HaConfigParser.ParseGroups).Groups.ToList();
        var rules = Parse("rules", HaConfigParser.ParseRules).Rules.ToList();
        switch (method, segments)
        {
            case ("POST", ["cluster", "ha", "rules"]) when major >= 9:
            {
                // API2/HA/Rules.pm create_rule.
                if (groups.Count > 0)
                {
                    return (500, "cannot create ha rule: ha groups have not been migrated yet", null);
                }

                var id = form("rule") ?? "";
                if (rules.Any(r => r.Id == id))
                {
                    return (500, $"HA rule '{id}' already defined", null);
                }

                var section = $"{form("type")}: {id}\n\tresources {form("resources")}\n" + (form("nodes") is { } n ? $"\tnodes {n}\n" : "")
                    + (form("strict") is { } st ? $"\tstrict {st}\n" : "") + (form("affinity") is { } af ? $"\taffinity {af}\n" : "");
                var parsed = HaConfigParser.ParseRules(section, "rule");
                if (!parsed.IsSuccess)
                {
                    return (400, $"Parameter verification failed. ({parsed.Error.Message})", null);
                }

                var rule = parsed.Value.Rules[0];
                var unmanaged = rule.Resources.Where(sid => resources.All(r => r.Sid != sid)).ToList();
                if (unmanaged.Count > 0)
                {
                    return (500, $"cannot use unmanaged resource(s) {string.Join(", ", unmanaged)}.", null);
                }

                var all = HaRuleCompiler.MigrateGroups(new HaConfig { Resources = resources, Groups = groups, Rules = [.. rules, rule] }).Rules;
                if (HaRuleCompiler.CheckFeasibility(all, _nodes()).ContainsKey(id))
                {
                    return (400, $"Rule '{id}' is invalid.", null);
                }

                rules.Add(rule);
                _raw["rules"] = FormatRules(rules);
                return (200, "OK", null);
            }

            case ("DELETE", ["cluster", "ha", "rules", var id]) when major >= 9:
                rules.RemoveAll(r => r.Id == id);
                _raw["rules"] = FormatRules(rules);
                return (200, "OK", null);

            case ("POST", ["cluster", "ha", "groups"]) when major < 9:
            {
                var id = form("group") ?? "";
                if (groups.Any(g => g.Name == id))
                {
                    return (500, $"ha group '{id}' already defined", null);
                }

                var parsed = HaConfigParser.ParseGroups($"group: {id}\n\tnodes {form("nodes")}\n\trestricted {form("restricted") ?? "0"}\n", "group");
                if (!parsed.IsSuccess)
                {
                    return (400, $"Parameter verification failed. ({parsed.Error.Message})", null);
                }

                groups.Add(parsed.Value.Groups[0]);
                _raw["groups"] = FormatGroups(groups);
                return (200, "OK", null);
            }

            case ("DELETE", ["cluster", "ha", "groups", var id]) when major < 9:
                if (resources.Any(r => r.Group == id))
                {
                    return (500, $"ha group is used by service '{resources.First(r => r.Group == id).Sid}'", null);
                }

                groups.RemoveAll(g => g.Name == id);
                _raw["groups"] = FormatGroups(groups);
                return (200, "OK", null);

            case ("PUT", ["cluster", "ha", "resources", var sid]):
            {
                var index = resources.FindIndex(r => r.Sid == sid);
                if (index < 0)
                {
                    return (500, $"no such resource '{sid}'", null);
                }

                if (form("digest") is { } digest && digest != Digest("resources"))
                {
                    return (500, "detected modified configuration - file changed by other user? Try again.", null);
                }

                if (form("group") is { } group)
                {
                    if (groups.All(g => g.Name != group))
                    {
                        return (500, $"group '{group}' does not exist", null);
                    }

                    resources[index] = resources[index] with { Group = group };
                }

                if (form("delete") is { } delete && delete.Split(',').Contains("group"))
                {
                    resources[index] = resources[index] with { Group = null };
                }

                _raw["resources"] = FormatResources(resources);
                return (200, "OK", null);
            }

            default:
                return null;
        }
    }

    private static string FormatResources(IEnumerable<HaResource> resources) => string.Join("\n", resources.Select(r =>
        $"{r.Type}: {r.VmId}\n" + (r.Group is { } g ? $"\tgroup {g}\n" : "") + $"\tstate {r.State.ToString().ToLowerInvariant()}\n" + (r.Failback ? "" : "\tfailback 0\n")));

    private static string FormatGroups(IEnumerable<HaGroup> groups) => string.Join("\n", groups.Select(g =>
        $"group: {g.Name}\n\tnodes {string.Join(",", g.Nodes)}\n\trestricted {(g.Restricted ? 1 : 0)}\n\tnofailback {(g.NoFailback ? 1 : 0)}\n"));

    private static string FormatRules(IEnumerable<HaRule> rules) => string.Join("\n", rules.Select(r =>
        $"{r.TypeName}: {r.Id}\n" + (r.Disabled ? "\tdisable\n" : "")
        + (r.Type == HaRuleType.NodeAffinity ? $"\tnodes {string.Join(",", r.Nodes)}\n" : $"\taffinity {(r.Positive ? "positive" : "negative")}\n")
        + $"\tresources {string.Join(",", r.Resources)}\n"
        + (r.Type == HaRuleType.NodeAffinity ? $"\tstrict {(r.Strict ? 1 : 0)}\n" : "")));

    private string Digest(string file) =>
        Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(_raw.GetValueOrDefault(file, ""))));

    private HaConfig Parse(string file, Func<string, string, Core.Parsing.ParseResult<HaConfig>> parser) =>
        _raw.TryGetValue(file, out var text) ? parser(text, "ha/" + file + ".cfg").GetValueOrThrow() : HaConfig.Empty;

    private JsonArray Resources(bool excludeGroup)
    {
        var list = new JsonArray();
        foreach (var r in Parse("resources", HaConfigParser.ParseResources).Resources)
        {
            var entry = new JsonObject
            {
                ["sid"] = r.Sid,
                ["type"] = r.Type,
                ["state"] = r.State.ToString().ToLowerInvariant(),
                ["failback"] = r.Failback ? 1 : 0,
                ["digest"] = Digest("resources"),
            };
            if (r.Group is { } group && !excludeGroup)
            {
                entry["group"] = group;
            }

            list.Add(entry);
        }

        return list;
    }

    private JsonArray Groups(IReadOnlyList<HaGroup> groups)
    {
        var list = new JsonArray();
        foreach (var g in groups)
        {
            list.Add(new JsonObject
            {
                ["group"] = g.Name,
                ["type"] = "group",
                ["nodes"] = string.Join(",", g.Nodes),
                ["restricted"] = g.Restricted ? 1 : 0,
                ["nofailback"] = g.NoFailback ? 1 : 0,
                ["digest"] = Digest("groups"),
            });
        }

        return list;
    }

    private JsonArray Rules(IReadOnlyList<HaGroup> groups)
    {
        var list = new JsonArray();
        var order = 0;
        var resources = Parse("resources", HaConfigParser.ParseResources).Resources;
        var rules = Parse("rules", HaConfigParser.ParseRules).Rules;
        var errors = HaRuleCompiler.CheckFeasibility(HaRuleCompiler.MigrateGroups(new HaConfig { Resources = resources, Groups = groups, Rules = rules }).Rules, _nodes());
        foreach (var r in rules)
        {
            var entry = new JsonObject
            {
                ["rule"] = r.Id,
                ["type"] = r.TypeName,
                ["resources"] = string.Join(",", r.Resources.Order(StringComparer.Ordinal)),
                ["digest"] = Digest("rules"),
                ["order"] = ++order,
            };
            if (r.Disabled)
            {
                entry["disable"] = 1;
            }

            if (r.Type == HaRuleType.NodeAffinity)
            {
                entry["nodes"] = string.Join(",", r.Nodes.OrderBy(n => n.Node, StringComparer.Ordinal));
                entry["strict"] = r.Strict ? 1 : 0;
            }
            else
            {
                entry["affinity"] = r.Positive ? "positive" : "negative";
            }

            AddErrors(entry, errors.GetValueOrDefault(r.Id));
            list.Add(entry);
        }

        // Groups.pm migrate_groups_to_rules, as the rules index applies it before answering.
        foreach (var g in groups)
        {
            var members = resources.Where(r => r.Group == g.Name).Select(r => r.Sid).Order(StringComparer.Ordinal).ToList();
            if (members.Count == 0)
            {
                continue;
            }

            var migrated = new JsonObject
            {
                ["rule"] = "ha-group-" + g.Name,
                ["type"] = "node-affinity",
                ["resources"] = string.Join(",", members),
                ["nodes"] = string.Join(",", g.Nodes.OrderBy(n => n.Node, StringComparer.Ordinal)),
                ["strict"] = g.Restricted ? 1 : 0,
                ["comment"] = $"Generated from HA group '{g.Name}'.",
                ["digest"] = Digest("rules"),
                ["order"] = ++order,
            };
            AddErrors(migrated, errors.GetValueOrDefault("ha-group-" + g.Name));
            list.Add(migrated);
        }

        return list;
    }

    /// <summary>Every check of pve-ha-manager's rules files blames the property <c>resources</c>.</summary>
    private static void AddErrors(JsonObject entry, List<string>? messages)
    {
        if (messages is { Count: > 0 })
        {
            entry["errors"] = new JsonObject { ["resources"] = new JsonArray([.. messages.Select(m => (JsonNode?)JsonValue.Create(m))]) };
        }
    }
}
