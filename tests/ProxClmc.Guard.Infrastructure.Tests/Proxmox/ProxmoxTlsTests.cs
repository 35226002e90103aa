using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.FakePve;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

public sealed class ProxmoxTlsTests
{
    [Fact]
    public async Task The_cluster_CA_is_accepted()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var version = await client.GetVersionAsync(CancellationToken.None);

        Assert.Equal("9.2.11", version.Version);
        Assert.False(client.IsInsecure);
        Assert.Null(client.InsecureWarning);
    }

    [Fact]
    public async Task A_certificate_from_another_CA_is_refused_naming_the_CA_file_and_the_fingerprint()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { CaFile = pve.OtherCaCertificatePath });

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.StartsWith($"TLS: certificate of {pve.Url} is not signed by the CA in {pve.OtherCaCertificatePath}", e.Message);
        Assert.Contains(pve.Fingerprint, e.Message);
        Assert.Contains("compare the fingerprint with `pvenode cert info` run on that node", e.Message);
        Assert.DoesNotContain("api.fingerprint = ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task A_server_whose_certificate_is_signed_by_an_unknown_CA_is_refused()
    {
        await using var pve = await FakeApiCluster.StartAsync(FakeCertificateKind.UnknownCa);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.Contains("is not signed by the CA in " + pve.CaCertificatePath, e.Message);
        Assert.Empty(pve.Requests);
    }

    [Fact]
    public async Task A_certificate_for_another_name_is_refused_naming_the_names_it_has()
    {
        await using var pve = await FakeApiCluster.StartAsync(FakeCertificateKind.OtherName);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.StartsWith($"TLS: certificate of {pve.Url} names pve-elsewhere.example.org, not 127.0.0.1", e.Message);
        // The hint says how to check the fingerprint on the node, never offers a ready-made pin of what was presented.
        Assert.Contains($"presented fingerprint {pve.Fingerprint}, to compare with `pvenode cert info` on the node", e.Message);
        Assert.DoesNotContain("api.fingerprint = ", e.Message);
    }

    [Fact]
    public async Task An_expired_certificate_is_refused_as_expired()
    {
        await using var pve = await FakeApiCluster.StartAsync(FakeCertificateKind.Expired);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve));

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.Contains("is not valid now", e.Message);
    }

    [Fact]
    public async Task A_pinned_fingerprint_is_accepted_even_when_the_certificate_does_not_name_the_address()
    {
        await using var pve = await FakeApiCluster.StartAsync(FakeCertificateKind.OtherName);
        var pin = pve.Fingerprint.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { CaFile = "/nonexistent/ca.pem", Fingerprint = pin });

        var version = await client.GetVersionAsync(CancellationToken.None);

        Assert.Equal("9.2.11", version.Version);
    }

    [Fact]
    public async Task A_wrong_pin_is_refused_showing_both_fingerprints()
    {
        await using var pve = await FakeApiCluster.StartAsync();
        var wrong = string.Join(':', Enumerable.Repeat("AB", 32));
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { Fingerprint = wrong });

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.Equal(
            $"TLS: certificate of {pve.Url} has fingerprint {pve.Fingerprint}, not the pinned api.fingerprint {wrong} " +
            "(if the node certificate was renewed, check it with `pvenode cert info` and update api.fingerprint)",
            e.Message);
    }

    [Fact]
    public async Task Insecure_skip_verify_accepts_any_certificate_and_says_so()
    {
        await using var pve = await FakeApiCluster.StartAsync(FakeCertificateKind.UnknownCa);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(pve) with { InsecureSkipVerify = true, CaFile = null });

        await client.GetVersionAsync(CancellationToken.None);

        Assert.True(client.IsInsecure);
        Assert.Contains("api.insecure_skip_verify = true", client.InsecureWarning);
    }

    [Fact]
    public void A_missing_CA_file_is_a_configuration_error()
    {
        var options = new ProxmoxApiOptions { Urls = ["https://127.0.0.1:8006"], TokenId = "root@pam!guard", TokenSecret = "x", CaFile = "/nonexistent/pve-root-ca.pem" };

        var e = Assert.Throws<GuardConfigurationException>(() => new ProxmoxClient(options));

        Assert.Equal("api.ca_file: /nonexistent/pve-root-ca.pem does not exist (copy /etc/pve/pve-root-ca.pem from a node, or pin api.fingerprint)", e.Message);
    }

    [Theory]
    [InlineData("AB:CD")]
    [InlineData("zz")]
    public void A_malformed_fingerprint_is_a_configuration_error(string fingerprint)
    {
        var options = new ProxmoxApiOptions { Urls = ["https://127.0.0.1:8006"], TokenId = "root@pam!guard", TokenSecret = "x", Fingerprint = fingerprint };

        var e = Assert.Throws<GuardConfigurationException>(() => new ProxmoxClient(options));

        Assert.StartsWith("api.fingerprint:", e.Message);
    }
}

public sealed class ProxmoxTlsFailoverTests
{
    [Fact]
    public async Task A_refused_certificate_stops_the_call_instead_of_quietly_moving_to_the_next_url()
    {
        await using var good = await FakeApiCluster.StartAsync();
        await using var impostor = await FakeApiCluster.StartAsync(FakeCertificateKind.UnknownCa);
        using var client = new ProxmoxClient(FakeApiCluster.TokenOptions(good) with { Urls = [impostor.Url, good.Url] });

        var e = await Assert.ThrowsAsync<SourceUnavailableException>(() => client.GetVersionAsync(CancellationToken.None));

        Assert.StartsWith($"TLS: certificate of {impostor.Url} is not signed by the CA in {good.CaCertificatePath}", e.Message);
        Assert.Empty(good.Requests);
    }
}
