using ProxClmc.Guard.Core.Placement;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Writes placement fixes through the API (pve-ha-manager b71218f, src/PVE/API2/HA/Rules.pm create_rule and
/// delete_rule, Groups.pm create and delete, Resources.pm update). Creating and deleting a rule or a group take no
/// digest in Proxmox, so the guard is here: <see cref="DigestAsync"/> is compared with the planned one right before
/// each write, and a rule is removed by <c>fix --undo</c> only while it is exactly what was written.
/// </summary>
public sealed class ApiHaWriter(ProxmoxClient client)
{
    /// <summary>PVE 9 has HA rules; PVE 8 has groups.</summary>
    public async Task<bool> UsesRulesAsync(CancellationToken cancellationToken)
    {
        var version = await client.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        return int.TryParse(version.Version.Split('.')[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var major)
            && major >= 9;
    }

    /// <summary>The digests of ha/resources.cfg and ha/rules.cfg (or groups.cfg), as the API reports them.</summary>
    public async Task<string> DigestAsync(bool usesRules, CancellationToken cancellationToken) =>
        (await ReadAsync(usesRules, cancellationToken).ConfigureAwait(false)).Digest;

    /// <summary>The HA resources and rules (or groups) with their digests.</summary>
    public async Task<HaApiState> ReadAsync(bool usesRules, CancellationToken cancellationToken)
    {
        var resources = await client.GetHaEntriesAsync("resources", cancellationToken).ConfigureAwait(false) ?? [];
        var placement = await client.GetHaEntriesAsync(usesRules ? "rules" : "groups", cancellationToken).ConfigureAwait(false) ?? [];
        return new HaApiState($"resources={Digest(resources)} {(usesRules ? "rules" : "groups")}={Digest(placement)}", resources, placement);
    }

    /// <summary>
    /// Whether <paramref name="after"/> is <paramref name="before"/> with exactly what <see cref="CreateAsync"/> wrote
    /// for <paramref name="entry"/> (its rule, or its group and the resource's group), so nobody else wrote in between.
    /// </summary>
    public static bool OnlyWritten(HaApiState before, HaApiState after, PlacementEntry entry)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(entry);
        var idKey = entry.Action == PlacementAction.CreateRule ? "rule" : "group";
        var isGroup = entry.Action == PlacementAction.CreateGroup;
        if (after.Placement.Count(e => Value(e, idKey) == entry.RuleId) != 1)
        {
            return false;
        }

        var placementSame = Canonical(before.Placement, _ => null).SequenceEqual(Canonical(after.Placement.Where(e => Value(e, idKey) != entry.RuleId), _ => null));
        var resourcesSame = Canonical(before.Resources, e => isGroup && Value(e, "sid") == entry.Sid ? "group" : null)
            .SequenceEqual(Canonical(after.Resources, e => isGroup && Value(e, "sid") == entry.Sid ? "group" : null));
        var assigned = !isGroup || after.Resources.Any(e => Value(e, "sid") == entry.Sid && Value(e, "group") == entry.RuleId);
        return placementSame && resourcesSame && assigned;
    }

    /// <summary>Each entry as one sorted text without its digest and order (and without the key <paramref name="skip"/> gives).</summary>
    private static List<string> Canonical(IEnumerable<IReadOnlyList<KeyValuePair<string, string>>> entries, Func<IReadOnlyList<KeyValuePair<string, string>>, string?> skip) =>
        entries.Select(e =>
        {
            var skipped = skip(e);
            return string.Join('\n', e.Where(p => p.Key is not ("digest" or "order") && p.Key != skipped).Select(p => p.Key + "=" + p.Value).Order(StringComparer.Ordinal));
        }).Order(StringComparer.Ordinal).ToList();

    public async Task CreateAsync(PlacementEntry entry, string planId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var nodes = string.Join(",", entry.KeepsNodes);
        var comment = $"proxclmc-guard plan {planId}: VM {entry.VmId} stays on the nodes that can run its CPU";
        if (entry.Action == PlacementAction.CreateRule)
        {
            await client.WriteHaAsync(HttpMethod.Post, "rules", Form(("type", "node-affinity"), ("rule", entry.RuleId!), ("resources", entry.Sid!), ("nodes", nodes), ("strict", "1"), ("comment", comment)), cancellationToken).ConfigureAwait(false);
            return;
        }

        await client.WriteHaAsync(HttpMethod.Post, "groups", Form(("group", entry.RuleId!), ("nodes", nodes), ("restricted", "1"), ("comment", comment)), cancellationToken).ConfigureAwait(false);
        try
        {
            var digest = Digest(await client.GetHaEntriesAsync("resources", cancellationToken).ConfigureAwait(false) ?? []);
            await client.WriteHaAsync(HttpMethod.Put, "resources/" + ProxmoxClient.Segment(entry.Sid!), Form(("group", entry.RuleId!), ("digest", digest)), cancellationToken).ConfigureAwait(false);
        }
        catch (Core.Sources.SourceUnavailableException e)
        {
            // The guest was not put in the group: take the empty group away again, so a failed write leaves nothing.
            try
            {
                await client.WriteHaAsync(HttpMethod.Delete, "groups/" + ProxmoxClient.Segment(entry.RuleId!), null, cancellationToken).ConfigureAwait(false);
            }
            catch (Core.Sources.SourceUnavailableException again)
            {
                throw new Core.Sources.SourceUnavailableException($"{e.Message}; the empty group '{entry.RuleId}' it left could not be removed ({again.Message}): remove it with `ha-manager groupremove {entry.RuleId}`", e);
            }

            throw;
        }
    }

    /// <summary>Whether the rule or group is still what <see cref="CreateAsync"/> wrote.</summary>
    public async Task<PlacementState> StateAsync(bool isRule, string id, string sid, IReadOnlyList<string> nodes, CancellationToken cancellationToken)
    {
        var entries = await client.GetHaEntriesAsync(isRule ? "rules" : "groups", cancellationToken).ConfigureAwait(false) ?? [];
        var found = entries.FirstOrDefault(e => Value(e, isRule ? "rule" : "group") == id);
        if (found is null)
        {
            return PlacementState.Gone;
        }

        var sameNodes = (Value(found, "nodes") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)
            .SequenceEqual(nodes.Order(StringComparer.Ordinal));
        var strict = Value(found, isRule ? "strict" : "restricted") == "1";
        var sameResources = isRule
            ? Value(found, "resources") == sid
            : (await client.GetHaEntriesAsync("resources", cancellationToken).ConfigureAwait(false) ?? [])
                .Any(r => Value(r, "sid") == sid && Value(r, "group") == id);
        return sameNodes && strict && sameResources ? PlacementState.AsWritten : PlacementState.Changed;
    }

    public async Task RemoveAsync(bool isRule, string id, string sid, CancellationToken cancellationToken)
    {
        if (isRule)
        {
            await client.WriteHaAsync(HttpMethod.Delete, "rules/" + ProxmoxClient.Segment(id), null, cancellationToken).ConfigureAwait(false);
            return;
        }

        var digest = Digest(await client.GetHaEntriesAsync("resources", cancellationToken).ConfigureAwait(false) ?? []);
        await client.WriteHaAsync(HttpMethod.Put, "resources/" + ProxmoxClient.Segment(sid), Form(("delete", "group"), ("digest", digest)), cancellationToken).ConfigureAwait(false);
        await client.WriteHaAsync(HttpMethod.Delete, "groups/" + ProxmoxClient.Segment(id), null, cancellationToken).ConfigureAwait(false);
    }

    private static string Digest(IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> entries) =>
        entries.Select(e => Value(e, "digest")).FirstOrDefault(d => d is not null) ?? "empty";

    private static string? Value(IReadOnlyList<KeyValuePair<string, string>> entry, string key) =>
        entry.FirstOrDefault(p => p.Key == key).Value;

    private static List<KeyValuePair<string, string>> Form(params (string Key, string Value)[] values) =>
        values.Select(v => new KeyValuePair<string, string>(v.Key, v.Value)).ToList();
}
