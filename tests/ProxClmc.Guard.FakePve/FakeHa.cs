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
/// has groups ("cannot index groups: ha groups have been migrated to rules" otherwise).
/// </summary>
public sealed class FakeHa
{
    private readonly Dictionary<string, string> _raw = new(StringComparer.Ordinal);

    public FakeHa(string snapshotDir)
    {
        foreach (var file in new[] { "resources", "groups", "rules" })
        {
            var path = Path.Combine(snapshotDir, "ha", file + ".cfg");
            if (File.Exists(path))
            {
                _raw[file] = File.ReadAllText(path);
            }
        }
    }

    /// <summary>Answers an HA request: status, reason and data (null for anything else).</summary>
    public (int Status, string Reason, JsonNode? Data)? Route(string method, string[] segments, string version)
    {
        if (method != "GET" || segments is not ["cluster", "ha", var kind])
        {
            return null;
        }

        var major = int.TryParse(version.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : 9;
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
        foreach (var r in Parse("rules", HaConfigParser.ParseRules).Rules)
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

            list.Add(entry);
        }

        // Groups.pm migrate_groups_to_rules, as the rules index applies it before answering.
        var resources = Parse("resources", HaConfigParser.ParseResources).Resources;
        foreach (var g in groups)
        {
            var members = resources.Where(r => r.Group == g.Name).Select(r => r.Sid).Order(StringComparer.Ordinal).ToList();
            if (members.Count == 0)
            {
                continue;
            }

            list.Add(new JsonObject
            {
                ["rule"] = "ha-group-" + g.Name,
                ["type"] = "node-affinity",
                ["resources"] = string.Join(",", members),
                ["nodes"] = string.Join(",", g.Nodes.OrderBy(n => n.Node, StringComparer.Ordinal)),
                ["strict"] = g.Restricted ? 1 : 0,
                ["comment"] = $"Generated from HA group '{g.Name}'.",
                ["digest"] = Digest("rules"),
                ["order"] = ++order,
            });
        }

        return list;
    }
}
