using System.Net;
using System.Net.NetworkInformation;

namespace ProxClmc.Guard.Infrastructure.Facts;

/// <summary>The real host: <c>hostname</c> and the addresses of every network interface.</summary>
internal sealed class SystemHostIdentity : IHostIdentity
{
    private readonly Lazy<IReadOnlyList<IPAddress>> _addresses = new(ReadAddresses);

    public string HostName => Dns.GetHostName();

    public IReadOnlyList<IPAddress> Addresses => _addresses.Value;

    private static IReadOnlyList<IPAddress> ReadAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
