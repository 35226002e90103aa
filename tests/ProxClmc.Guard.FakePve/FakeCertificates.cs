using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ProxClmc.Guard.FakePve;

/// <summary>Which certificate the fake presents, to test that the client refuses the wrong ones.</summary>
public enum FakeCertificateKind
{
    /// <summary>Signed by the cluster CA, naming 127.0.0.1, ::1 and localhost (as a Proxmox node certificate does).</summary>
    Valid,

    /// <summary>Signed by the cluster CA but naming only another host (pve-elsewhere.example.org).</summary>
    OtherName,

    /// <summary>The right names, signed by a CA other than the one in <see cref="FakeProxmox.CaCertificatePath"/>.</summary>
    UnknownCa,

    /// <summary>The right names and CA, but expired yesterday.</summary>
    Expired,
}

internal static class FakeCertificates
{
    public const string OtherHostName = "pve-elsewhere.example.org";

    public static X509Certificate2 CreateCa(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}, O=PVE Cluster Manager CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = request.CreateSelfSigned(now.AddYears(-1), now.AddYears(10));
        return X509CertificateLoader.LoadPkcs12(ca.Export(X509ContentType.Pkcs12), null);
    }

    public static X509Certificate2 CreateLeaf(X509Certificate2 ca, FakeCertificateKind kind, string nodeName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={(kind == FakeCertificateKind.OtherName ? OtherHostName : nodeName)}, O=PVE Cluster Node, OU=fake", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        if (kind == FakeCertificateKind.OtherName)
        {
            names.AddDnsName(OtherHostName);
        }
        else
        {
            names.AddIpAddress(IPAddress.Loopback);
            names.AddIpAddress(IPAddress.IPv6Loopback);
            names.AddDnsName("localhost");
            names.AddDnsName(nodeName);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var (from, to) = kind == FakeCertificateKind.Expired ? (now.AddDays(-30), now.AddDays(-1)) : (now.AddDays(-1), now.AddYears(2));
        using var leaf = request.Create(ca, from, to, RandomNumberGenerator.GetBytes(16));
        using var withKey = leaf.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
