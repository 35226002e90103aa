using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Documentation;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Docs;

/// <summary>
/// The documented proxclmc-guard.toml, the man page's generated sections and the README's key table are what
/// tools/gen-docs writes from the code today: documentation cannot drift from the key table, the command tree,
/// the verdicts, the notes or the exit codes.
/// </summary>
public sealed class GeneratedDocumentationTests
{
    public static TheoryData<string> GeneratedFiles() => new(ReferenceDocs.Paths);

    [Theory]
    [MemberData(nameof(GeneratedFiles))]
    public void The_checked_in_file_is_what_the_generator_writes(string relativePath)
    {
        var current = Read(relativePath);

        var generated = ReferenceDocs.Regenerate(relativePath, current);

        Assert.True(
            generated == current,
            $"{relativePath} differs from what the code defines at line {FirstDifferentLine(current, generated)}: run `dotnet run tools/gen-docs/gen-docs.cs` and commit the result");
    }

    [Fact]
    public void A_hand_edit_inside_a_generated_man_section_is_undone_and_prose_outside_is_kept()
    {
        var man = Read(ReferenceDocs.ManPath);
        var edited = man
            .Replace(".B exceeds\\-baseline\n", ".B exceeds\\-the\\-baseline\n", StringComparison.Ordinal)
            .Replace(".SH HIGH AVAILABILITY\n", ".SH HIGH AVAILABILITY\nA paragraph added by hand.\n", StringComparison.Ordinal);
        Assert.NotEqual(man, edited);

        var regenerated = ReferenceDocs.Regenerate(ReferenceDocs.ManPath, edited);

        Assert.Contains(".B exceeds\\-baseline\n", regenerated, StringComparison.Ordinal);
        Assert.DoesNotContain("exceeds\\-the\\-baseline", regenerated, StringComparison.Ordinal);
        Assert.Contains("A paragraph added by hand.", regenerated, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_without_its_markers_is_an_error_not_a_silent_pass()
    {
        var readme = Read(ReferenceDocs.ReadmePath).Replace("<!-- END GENERATED config-keys -->", "", StringComparison.Ordinal);

        var error = Assert.Throws<InvalidOperationException>(() => ReferenceDocs.Regenerate(ReferenceDocs.ReadmePath, readme));

        Assert.Contains("config-keys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_documented_toml_shows_every_key_of_the_table_with_its_real_default()
    {
        var toml = ReferenceDocs.SampleConfig();

        foreach (var key in ConfigKeys.All)
        {
            var value = key.DefaultToml ?? key.Example;
            Assert.Contains($"\n# {key.Name} = {value}\n", toml, StringComparison.Ordinal);
        }

        Assert.Equal("\"/root/.ssh/id_rsa\"", ConfigKeys.Find("ssh", "identity_file")!.DefaultToml);
        Assert.Equal("[\"/etc/pve/priv/known_hosts\", \"/etc/pve/nodes/{node}/ssh_known_hosts\", \"/root/.ssh/known_hosts\"]", ConfigKeys.Find("ssh", "known_hosts")!.DefaultToml);
        Assert.Equal("\"https://localhost:8006\"", ConfigKeys.Find("api", "url")!.DefaultToml);
        Assert.Equal("\"allow-identical\"", ConfigKeys.Find("policy", "host_cpu")!.DefaultToml);
        Assert.Null(ConfigKeys.Find("hook", "chain")!.DefaultToml);
    }

    [Fact]
    public void The_man_page_says_each_keys_rule_and_default()
    {
        var man = Read(ReferenceDocs.ManPath);

        Assert.Contains(".B port\nsshd port on the nodes.\nValue: an integer from 1 to 65535. Default: 22.\n", man, StringComparison.Ordinal);
        Assert.Contains(".B local_node\nThis node's name as corosync knows it.\nValue: a Proxmox node name (letters, digits and '\\-'). Default: this host's short host name.\n", man, StringComparison.Ordinal);
        Assert.Contains(".B fingerprint\n", man, StringComparison.Ordinal);
        Assert.Contains("Not set by default.", man, StringComparison.Ordinal);
    }

    private static string Read(string relativePath) => File.ReadAllText(Path.Combine(RepoPaths.Root, relativePath));

    private static int FirstDifferentLine(string a, string b)
    {
        var left = a.Split('\n');
        var right = b.Split('\n');
        var line = 0;
        while (line < left.Length && line < right.Length && left[line] == right[line])
        {
            line++;
        }

        return line + 1;
    }
}
