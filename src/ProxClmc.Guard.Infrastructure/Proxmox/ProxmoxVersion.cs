using System.Text.Json;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary><c>GET /version</c>.</summary>
internal sealed record ProxmoxVersion(string Version, string? Release, string? RepoId)
{
    internal static ProxmoxVersion Parse(JsonElement data)
    {
        ProxmoxJson.RequireObject(data, "version");
        return new(data.GetRequiredString("version", "version"), data.GetStringLenient("release"), data.GetStringLenient("repoid"));
    }
}
