using System.Text;
using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Reads <c>/cluster/ha/resources</c>, then <c>/cluster/ha/rules</c> (PVE 9) or, where that does not exist,
/// <c>/cluster/ha/groups</c> (PVE 8). The PVE 9 rules answer already holds every group not yet migrated, as a rule
/// <c>ha-group-&lt;name&gt;</c> (pve-ha-manager b71218f, src/PVE/API2/HA/Rules.pm, get_full_rules_config), so groups
/// are not read there. Rules the API marks with <c>errors</c> are the ones the HA manager drops (Rules.pm transform):
/// they are kept in the file as they are in ha/rules.cfg, and their messages go with the configuration, so that the
/// placement drops them with Proxmox's own words even where the guard's port of the checks would not. Each answer is turned into the file's own section format and read by the same parser as
/// /etc/pve/ha, so every source gives the same placement.
/// </summary>
public static class ApiHaReader
{
    public static async Task<ApiHaState> ReadAsync(ProxmoxClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var resources = await client.GetHaEntriesAsync("resources", cancellationToken).ConfigureAwait(false) ?? [];
        if (resources.Count == 0)
        {
            return new ApiHaState(HaConfig.Empty, files);
        }

        files["resources.cfg"] = ToSectionText(resources, "sid", "type", splitSid: true);
        var reported = new Dictionary<string, string>(StringComparer.Ordinal);
        var rules = await client.GetHaEntriesAsync("rules", cancellationToken).ConfigureAwait(false);
        if (rules is not null)
        {
            files["rules.cfg"] = ToSectionText(rules, "rule", "type", splitSid: false);
            foreach (var rule in rules)
            {
                if (rule.FirstOrDefault(p => p.Key == "errors").Value is { } errors && rule.FirstOrDefault(p => p.Key == "rule").Value is { } id)
                {
                    reported[id] = errors;
                }
            }
        }
        else if (await client.GetHaEntriesAsync("groups", cancellationToken).ConfigureAwait(false) is { } groups)
        {
            files["groups.cfg"] = ToSectionText(groups, "group", "type", splitSid: false);
        }

        var config = HaConfig.Empty;
        foreach (var (file, text) in files)
        {
            var origin = "api:/cluster/ha/" + Path.GetFileNameWithoutExtension(file);
            var parsed = file switch
            {
                "resources.cfg" => HaConfigParser.ParseResources(text, origin),
                "groups.cfg" => HaConfigParser.ParseGroups(text, origin),
                _ => HaConfigParser.ParseRules(text, origin),
            };
            if (!parsed.IsSuccess)
            {
                throw new ParseException(parsed.Error);
            }

            config = config with
            {
                Resources = [.. config.Resources, .. parsed.Value.Resources],
                Groups = [.. config.Groups, .. parsed.Value.Groups],
                Rules = [.. config.Rules, .. parsed.Value.Rules],
            };
        }

        return new ApiHaState(config with { ReportedErrors = reported }, files);
    }

    private static readonly HashSet<string> NotWritten = new(StringComparer.Ordinal) { "digest", "order", "errors" };

    /// <summary>
    /// One section per entry, in SectionConfig's format: <c>type: id</c>, then tab-indented <c>key value</c> lines.
    /// Resources are listed as <c>sid</c> "vm:105" and written as <c>vm: 105</c> (Resources.pm format_section_header).
    /// </summary>
    internal static string ToSectionText(IEnumerable<IReadOnlyList<KeyValuePair<string, string>>> entries, string idKey, string typeKey, bool splitSid)
    {
        var text = new StringBuilder();
        foreach (var entry in entries)
        {
            var id = entry.FirstOrDefault(p => p.Key == idKey).Value ?? "";
            var type = entry.FirstOrDefault(p => p.Key == typeKey).Value ?? "";
            if (splitSid && id.IndexOf(':') is var colon and > 0)
            {
                type = id[..colon];
                id = id[(colon + 1)..];
            }
            else if (type.Length == 0)
            {
                type = "group";
            }

            text.Append(OneLine(type)).Append(": ").Append(OneLine(id)).Append('\n');
            foreach (var (key, value) in entry)
            {
                if (key == idKey || key == typeKey || NotWritten.Contains(key) || key.Length == 0 || !key.All(c => char.IsAsciiLetterLower(c) || c is '_' or '-'))
                {
                    continue;
                }

                text.Append('\t').Append(key).Append(' ').Append(OneLine(value)).Append('\n');
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>A value from the network never adds a line to the file.</summary>
    private static string OneLine(string value) => value.Replace('\r', ' ').Replace('\n', ' ');
}
