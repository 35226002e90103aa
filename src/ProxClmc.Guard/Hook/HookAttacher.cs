using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Hook;

/// <summary>The snippet volumes a storage offers on one node, or why that node could not be asked.</summary>
public sealed record SnippetListing(IReadOnlyList<string>? Volumes, string? Error);

/// <summary>
/// Sets a VM's <c>hookscript</c> option (it needs root@pam, so on a node: <c>qm set</c> for this node's VMs,
/// <c>pvesh</c> for the others) and lists the snippets a storage offers on a node.
/// </summary>
public interface IHookscriptSetter
{
    Task<(bool Ok, string Message)> SetAsync(string node, int vmId, string volume, CancellationToken cancellationToken);

    Task<SnippetListing> ListSnippetsAsync(string node, string storage, CancellationToken cancellationToken);
}

/// <summary>
/// <c>qm set &lt;vmid&gt; --hookscript &lt;volume&gt;</c> on this node (qm acts only on local VMs), and
/// <c>pvesh set /nodes/&lt;node&gt;/qemu/&lt;vmid&gt;/config --hookscript &lt;volume&gt;</c> for VMs on other nodes (pvesh
/// forwards to that node). Fixed arguments, no shell; node and storage names are checked before they reach a command
/// line; every run is bounded in output and time.
/// </summary>
public sealed partial class PveHookscriptSetter(string localNode, string qm = "/usr/sbin/qm", string pvesh = "/usr/bin/pvesh", TimeSpan? timeout = null) : IHookscriptSetter
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(60);

    public async Task<(bool Ok, string Message)> SetAsync(string node, int vmId, string volume, CancellationToken cancellationToken)
    {
        if (!NameRegex().IsMatch(node))
        {
            return (false, $"node name '{node}' is not one Proxmox allows");
        }

        var id = vmId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (program, arguments) = node == localNode
            ? (qm, new[] { "set", id, "--hookscript", volume })
            : (pvesh, new[] { "set", $"/nodes/{node}/qemu/{id}/config", "--hookscript", volume });
        var outcome = await BoundedProcess.RunAsync(program, arguments, _timeout, cancellationToken).ConfigureAwait(false);
        return outcome.Succeeded ? (true, "attached") : (false, outcome.Failure(program));
    }

    public async Task<SnippetListing> ListSnippetsAsync(string node, string storage, CancellationToken cancellationToken)
    {
        if (!NameRegex().IsMatch(node) || !NameRegex().IsMatch(storage))
        {
            return new SnippetListing(null, $"'{node}' or '{storage}' is not a name Proxmox allows");
        }

        var outcome = await BoundedProcess.RunAsync(
            pvesh,
            ["get", $"/nodes/{node}/storage/{storage}/content", "--content", "snippets", "--output-format", "json"],
            _timeout,
            cancellationToken,
            maxChars: 4 * 1024 * 1024).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            return new SnippetListing(null, outcome.Failure(pvesh));
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(outcome.StandardOutput);
            if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Array)
            {
                return new SnippetListing(null, "pvesh answered something other than a list of volumes");
            }

            return new SnippetListing(
                document.RootElement.EnumerateArray()
                    .Where(e => e.ValueKind == System.Text.Json.JsonValueKind.Object && e.TryGetProperty("volid", out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String)
                    .Select(e => e.GetProperty("volid").GetString()!)
                    .ToList(),
                null);
        }
        catch (System.Text.Json.JsonException)
        {
            return new SnippetListing(null, "pvesh's answer is not JSON (cut short?)");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex NameRegex();
}

/// <summary>What <c>hook attach</c> does for one VM.</summary>
public sealed record AttachAction(int VmId, string Node, string? Existing, bool Attach, string Reason);

public static class HookAttachPlan
{
    public const string SnippetName = "proxclmc-guard-hook";

    /// <summary>VMs without a hookscript get ours; VMs with another one are listed with how to chain it.</summary>
    public static IReadOnlyList<AttachAction> Plan(IEnumerable<GuestConfig> guests, string volume) =>
        guests.Where(g => g.Type == GuestType.Qemu)
            .OrderBy(g => g.VmId)
            .Select(g => g.Hookscript switch
            {
                null => new AttachAction(g.VmId, g.Node, null, true, $"set hookscript: {volume}"),
                var h when h == volume => new AttachAction(g.VmId, g.Node, h, false, "already attached"),
                var h => new AttachAction(g.VmId, g.Node, h, false, $"has hookscript {h}: keep it and chain it with [hook] chain = \"<path of {h}>\" in the config"),
            })
            .ToList();
}
