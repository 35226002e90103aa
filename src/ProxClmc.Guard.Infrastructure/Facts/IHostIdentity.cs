using System.Net;

namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>Who this host is: its name and its addresses, to find it in corosync's node list.</summary>
public interface IHostIdentity
{
    string HostName { get; }

    IReadOnlyList<IPAddress> Addresses { get; }
}
