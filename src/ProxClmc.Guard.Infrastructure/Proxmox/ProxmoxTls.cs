using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// How node certificates are checked: against the cluster CA (<c>api.ca_file</c>, the name must match), against a
/// pinned SHA-256 fingerprint (the name is not checked: users pin precisely because they connect by an address the
/// certificate does not name), or not at all (<c>api.insecure_skip_verify</c>).
/// </summary>
internal sealed class ProxmoxTls
{
    private readonly X509Certificate2Collection? _trustedCas;
    private readonly string? _caFile;
    private readonly byte[]? _pin;
    private readonly bool _insecure;

    public ProxmoxTls(ProxmoxApiOptions options)
    {
        _insecure = options.InsecureSkipVerify;
        if (_insecure)
        {
            return;
        }

        if (!string.IsNullOrWhiteSpace(options.Fingerprint))
        {
            _pin = ProxmoxApiOptions.ParseFingerprint(options.Fingerprint);
            return;
        }

        _caFile = string.IsNullOrWhiteSpace(options.CaFile) ? ProxmoxApiOptions.DefaultCaFile : options.CaFile;
        if (!File.Exists(_caFile))
        {
            throw new GuardConfigurationException(
                $"api.ca_file: {_caFile} does not exist (copy /etc/pve/pve-root-ca.pem from a node, or pin api.fingerprint)");
        }

        try
        {
            _trustedCas = [];
            _trustedCas.ImportFromPemFile(_caFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new GuardConfigurationException($"api.ca_file: {_caFile} is not a readable PEM certificate: {e.Message}", e);
        }

        if (_trustedCas.Count == 0)
        {
            throw new GuardConfigurationException($"api.ca_file: {_caFile} holds no PEM certificate");
        }
    }

    /// <summary>
    /// Checks the certificate a node presented. Returns null when accepted, else one line naming the check that
    /// failed, the presented fingerprint, and the setting that fixes it.
    /// </summary>
    public string? Check(Uri endpoint, X509Certificate? presented, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        if (_insecure)
        {
            return null;
        }

        var origin = $"https://{endpoint.Authority}";
        if (presented is null)
        {
            return $"TLS: {origin} presented no certificate";
        }

        using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        var fingerprint = ProxmoxApiOptions.FormatFingerprint(leaf.GetCertHash(HashAlgorithmName.SHA256));

        if (_pin is not null)
        {
            return CryptographicOperations.FixedTimeEquals(leaf.GetCertHash(HashAlgorithmName.SHA256), _pin)
                ? null
                : $"TLS: certificate of {origin} has fingerprint {fingerprint}, not the pinned api.fingerprint {ProxmoxApiOptions.FormatFingerprint(_pin)} " +
                  "(if the node certificate was renewed, check it with `pvenode cert info` and update api.fingerprint)";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trustedCas!);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (!chain.Build(leaf))
        {
            var statuses = chain.ChainStatus.Select(s => s.Status).ToHashSet();
            if (statuses.Contains(X509ChainStatusFlags.NotTimeValid) && !statuses.Contains(X509ChainStatusFlags.UntrustedRoot) &&
                !statuses.Contains(X509ChainStatusFlags.PartialChain))
            {
                return $"TLS: certificate of {origin} is not valid now (valid from {leaf.NotBefore:u} to {leaf.NotAfter:u}; fingerprint {fingerprint}); " +
                       "renew it with `pvecm updatecerts --force` on the node, or check this host's clock";
            }

            // Never suggest trusting what was just presented: someone in the middle presents whatever they like.
            return $"TLS: certificate of {origin} is not signed by the CA in {_caFile} (presented fingerprint {fingerprint}; " +
                   "set api.ca_file to the cluster CA /etc/pve/pve-root-ca.pem, or compare the fingerprint with `pvenode cert info` run on that node " +
                   "(its console or a trusted session) before pinning it as api.fingerprint)";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            var names = NamesIn(leaf);
            return $"TLS: certificate of {origin} names {(names.Count == 0 ? "no host" : string.Join(", ", names))}, not {endpoint.Host} " +
                   $"(use one of those names in api.url; presented fingerprint {fingerprint}, to compare with `pvenode cert info` on the node)";
        }

        return null;
    }

    private static List<string> NamesIn(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == "2.5.29.17")
            {
                var san = extension as X509SubjectAlternativeNameExtension ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(ip => ip.ToString()));
            }
        }

        if (names.Count == 0 && certificate.GetNameInfo(X509NameType.SimpleName, false) is { Length: > 0 } cn)
        {
            names.Add(cn);
        }

        return names;
    }
}
