namespace ProxClmc.Guard.Infrastructure.Ssh;

/// <summary>The known_hosts files of <see cref="SshOptions"/>, each read once and combined per node.</summary>
internal sealed class KnownHostsFiles(SshOptions options)
{
    private readonly Dictionary<string, KnownHosts> _files = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_lock)
            {
                return [.. _files.Values.SelectMany(f => f.Warnings).Distinct()];
            }
        }
    }

    public KnownHosts For(string node)
    {
        var parts = new List<KnownHosts>();
        foreach (var path in options.KnownHostsFilesFor(node))
        {
            lock (_lock)
            {
                if (!_files.TryGetValue(path, out var file))
                {
                    file = KnownHosts.Load([path]);
                    _files[path] = file;
                }

                parts.Add(file);
            }
        }

        return KnownHosts.Combine(parts);
    }
}
