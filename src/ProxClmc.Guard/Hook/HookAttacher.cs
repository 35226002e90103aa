using System.Diagnostics;
using ProxClmc.Guard.Core.Guests;

namespace ProxClmc.Guard.Hook;

/// <summary>Sets a VM's <c>hookscript</c> option. Setting it needs root@pam, so on a node this is <c>qm set</c>.</summary>
public interface IHookscriptSetter
{
    Task<(bool Ok, string Message)> SetAsync(int vmId, string volume, CancellationToken cancellationToken);
}

/// <summary>Runs <c>qm set &lt;vmid&gt; --hookscript &lt;volume&gt;</c>: fixed arguments, no shell, nothing taken from configs but the numeric id.</summary>
public sealed class QmHookscriptSetter : IHookscriptSetter
{
    public async Task<(bool Ok, string Message)> SetAsync(int vmId, string volume, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("/usr/sbin/qm") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("set");
        start.ArgumentList.Add(vmId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--hookscript");
        start.ArgumentList.Add(volume);
        try
        {
            using var process = Process.Start(start)!;
            var stderr = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return process.ExitCode == 0 ? (true, "attached") : (false, stderr.Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (false, $"/usr/sbin/qm: {e.Message} (run hook attach on a Proxmox VE node)");
        }
    }
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
