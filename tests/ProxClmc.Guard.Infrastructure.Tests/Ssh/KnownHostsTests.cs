using ProxClmc.Guard.Infrastructure.Ssh;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Ssh;

/// <summary>Given the known_hosts fixture (written with OpenSSH's own tools), each presented key gets OpenSSH's answer.</summary>
public sealed class KnownHostsTests
{
    private static readonly string Dir = RepoPaths.Combine("tests", "ProxClmc.Guard.Infrastructure.Tests", "Fixtures", "ssh");

    private static readonly string KnownHostsFile = Path.Combine(Dir, "known_hosts");

    private static KnownHosts Load() => KnownHosts.Load([KnownHostsFile]);

    private static byte[] Key(string name) => Convert.FromBase64String(File.ReadAllText(Path.Combine(Dir, name + ".pub")).Split(' ')[1].Trim());

    [Theory]
    [InlineData("pve1", 22, "pve1_ed25519")]
    [InlineData("10.0.0.1", 22, "pve1_ed25519")]
    [InlineData("PVE1", 22, "pve1_rsa")]
    [InlineData("pve2", 2222, "pve2_ecdsa")]
    [InlineData("10.0.0.2", 2222, "pve2_ecdsa")]
    [InlineData("pve3", 22, "pve3_ed25519")]
    [InlineData("pve3", 2222, "pve3_ed25519")]
    [InlineData("fe80::1", 22, "v6_ed25519")]
    [InlineData("fe80:0:0::1", 22, "v6_ed25519")]
    [InlineData("2001:db8::5", 2200, "v6_ed25519")]
    [InlineData("[2001:db8::5]", 2200, "v6_ed25519")]
    [InlineData("node7.lab.example", 22, "other_ed25519")]
    public void Recorded_keys_are_trusted(string host, int port, string key)
    {
        var check = Load().Verify([host], port, Key(key));

        Assert.Equal(HostKeyStatus.Trusted, check.Status);
        Assert.Equal(KnownHostsFile, check.Entry!.Source);
    }

    [Theory]
    [InlineData("pve2", 22, "pve2_ecdsa")]
    [InlineData("10.0.0.2", 2223, "pve2_ecdsa")]
    [InlineData("pve3", 2200, "pve3_ed25519")]
    [InlineData("bad.lab.example", 22, "other_ed25519")]
    [InlineData("pve9", 22, "pve1_ed25519")]
    [InlineData("pve4", 22, "pve1_rsa")]
    public void Hosts_not_recorded_on_that_port_are_unknown(string host, int port, string key)
    {
        var check = Load().Verify([host], port, Key(key));

        Assert.Equal(HostKeyStatus.Unknown, check.Status);
        Assert.Null(check.Entry);
    }

    [Fact]
    public void A_different_key_of_a_recorded_type_is_changed_and_names_the_line()
    {
        var check = Load().Verify(["10.0.0.1"], 22, Key("other_ed25519"));

        Assert.Equal(HostKeyStatus.Changed, check.Status);
        Assert.Equal($"{KnownHostsFile}:4", check.Entry!.Location);
        Assert.Equal("ED25519", HostKeys.DisplayType(check.KeyType));
    }

    [Fact]
    public void A_key_of_a_type_not_recorded_for_the_host_is_unknown_not_changed()
    {
        Assert.Equal(HostKeyStatus.Unknown, Load().Verify(["pve2"], 2222, Key("pve1_ed25519")).Status);
    }

    [Fact]
    public void A_revoked_key_is_refused_for_every_host()
    {
        var kh = KnownHosts.Parse(
            File.ReadAllText(KnownHostsFile) + $"pve5 {File.ReadAllText(Path.Combine(Dir, "revoked_ed25519.pub")).Trim()}\n", "kh");

        var check = kh.Verify(["pve5"], 22, Key("revoked_ed25519"));

        Assert.Equal(HostKeyStatus.Revoked, check.Status);
        Assert.Equal("kh:11", check.Entry!.Location);
    }

    [Fact]
    public void Cert_authority_keys_never_trust_a_plain_host_key()
    {
        Assert.Equal(HostKeyStatus.Unknown, Load().Verify(["bad.lab.example"], 22, Key("ca_ed25519")).Status);
    }

    [Fact]
    public void The_node_name_counts_as_an_alias_of_its_address()
    {
        Assert.Equal(HostKeyStatus.Trusted, Load().Verify(["192.0.2.77", "pve3"], 22, Key("pve3_ed25519")).Status);
    }

    [Fact]
    public void Bad_lines_are_skipped_with_a_located_warning()
    {
        var kh = Load();

        Assert.Equal(
        [
            $"{KnownHostsFile}:13: unknown marker @future, line skipped",
            $"{KnownHostsFile}:14: expected hosts, key type and key, line skipped",
            $"{KnownHostsFile}:15: key is not valid base64, line skipped",
            $"{KnownHostsFile}:16: key does not match its type ssh-rsa, line skipped",
            $"{KnownHostsFile}:17: malformed hashed host entry, line skipped",
        ], kh.Warnings);
        Assert.Equal(9, kh.Entries.Count);
    }

    [Theory]
    [InlineData("pve1_ed25519")]
    [InlineData("pve1_rsa")]
    [InlineData("pve2_ecdsa")]
    public void Fingerprints_match_ssh_keygen(string key)
    {
        Assert.Equal(File.ReadAllText(Path.Combine(Dir, key + ".fingerprint")).Trim(), HostKeys.Fingerprint(Key(key)));
    }

    [Fact]
    public void Key_types_for_a_host_guide_the_algorithm_choice()
    {
        Assert.Equal(["ssh-rsa", "ssh-ed25519"], Load().KeyTypesFor(["pve1"], 22));
        Assert.Equal(["ecdsa-sha2-nistp256"], Load().KeyTypesFor(["10.0.0.2"], 2222));
        Assert.Empty(Load().KeyTypesFor(["pve4"], 22));
    }

    [Fact]
    public void Missing_files_are_skipped_silently()
    {
        var kh = KnownHosts.Load([Path.Combine(Dir, "does-not-exist"), KnownHostsFile]);

        Assert.Equal(9, kh.Entries.Count);
        Assert.Equal(5, kh.Warnings.Count);
    }

    [Fact]
    public void Arbitrary_bytes_never_throw()
    {
        foreach (var input in Fuzz.Inputs([File.ReadAllText(KnownHostsFile)], Fuzz.Cases()))
        {
            var kh = KnownHosts.Parse(input, "fuzz");
            _ = kh.Verify(["pve1", "10.0.0.1"], 22, Key("pve1_ed25519"));
        }
    }

    [Fact]
    public void Node_placeholder_expands_and_refuses_path_tricks()
    {
        var options = new SshOptions();

        Assert.Equal(["/etc/pve/priv/known_hosts", "/etc/pve/nodes/pve1/ssh_known_hosts", "/home/x/.ssh/known_hosts"], options.KnownHostsFilesFor("pve1", "/home/x"));
        Assert.Equal(["/etc/pve/priv/known_hosts", "/home/x/.ssh/known_hosts"], options.KnownHostsFilesFor("../../etc", "/home/x"));
    }
}
