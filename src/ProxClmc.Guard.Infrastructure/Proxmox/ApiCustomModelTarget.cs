using System.Text;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// Writes a custom CPU model through pve-manager's own endpoint (9.1.15+, PVE/API2/Cluster/Qemu/CustomCPUModels.pm,
/// commits db32d51e, 013e8d41, df53f471): POST creates and refuses a name that exists; PUT {cputype} replaces the
/// given properties, drops those named in <c>delete</c> (never reported-model) and checks the file's digest.
/// </summary>
public sealed class ApiCustomModelTarget(ProxmoxClient client) : ICustomModelTarget
{
    private static readonly string[] Optional = ["flags", "guest-phys-bits", "hidden", "hv-vendor-id", "level", "phys-bits"];

    public string Description => $"the Proxmox API at {client.ActiveUrl} (/cluster/qemu/custom-cpu-models)";

    public async Task<CustomModelsFile> ReadAsync(CancellationToken cancellationToken)
    {
        var entries = await client.GetCustomCpuModelsAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new SourceUnavailableException($"{client.ActiveUrl} has no /cluster/qemu/custom-cpu-models (Proxmox VE before 9.1.15): run on a node to write <pve_root>/virtual-guest/cpu-models.conf");

        // The API gives each visible model's properties and the whole file's digest (the same on every entry; none
        // when no model is visible). The text is rebuilt in qemu-server's own layout.
        var text = new StringBuilder();
        foreach (var entry in entries)
        {
            text.Append("cpu-model: ").Append(entry.Name).Append('\n');
            foreach (var (key, value) in entry.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                text.Append('\t').Append(key).Append(' ').Append(value).Append('\n');
            }

            text.Append('\n');
        }

        return new CustomModelsFile(entries.Select(e => e.Digest).FirstOrDefault(d => !string.IsNullOrEmpty(d)) ?? "", text.ToString());
    }

    public async Task<WriteResult> WriteAsync(string name, IReadOnlyList<KeyValuePair<string, string>> properties, bool replace, string digest, CancellationToken cancellationToken)
    {
        CustomModelsFile now;
        try
        {
            now = await ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e)
        {
            return new WriteResult(WriteOutcome.Failed, e.Message);
        }

        if (!string.Equals(now.Digest, digest, StringComparison.Ordinal))
        {
            return new WriteResult(WriteOutcome.DigestMismatch, $"cpu-models.conf changed since the plan (digest {Show(digest)}, now {Show(now.Digest)})");
        }

        try
        {
            if (replace)
            {
                var form = new List<KeyValuePair<string, string>>(properties);
                var dropped = Optional.Where(k => properties.All(p => p.Key != k)).ToList();
                if (dropped.Count > 0)
                {
                    form.Add(new("delete", string.Join(',', dropped)));
                }

                if (digest.Length > 0)
                {
                    form.Add(new("digest", digest));
                }

                await client.WriteCustomCpuModelAsync(HttpMethod.Put, name, form, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await client.WriteCustomCpuModelAsync(HttpMethod.Post, null, [new("cputype", name), .. properties], cancellationToken).ConfigureAwait(false);
            }
        }
        catch (SourceUnavailableException e)
        {
            var api = ProxmoxApiException.From(e);
            return api?.Reason.Contains("detected modified configuration", StringComparison.Ordinal) == true || api?.Reason.Contains("already exists", StringComparison.Ordinal) == true
                ? new WriteResult(WriteOutcome.DigestMismatch, api.Reason)
                : new WriteResult(WriteOutcome.Failed, e.Message);
        }

        return new WriteResult(WriteOutcome.Written);
    }

    private static string Show(string digest) => digest.Length == 0 ? "none visible" : digest;
}
