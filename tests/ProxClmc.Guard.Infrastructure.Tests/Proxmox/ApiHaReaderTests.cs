using ProxClmc.Guard.Core.Ha;
using ProxClmc.Guard.Infrastructure.Proxmox;

namespace ProxClmc.Guard.Infrastructure.Tests.Proxmox;

/// <summary>The API's HA answers become ha/*.cfg text; a hostile answer can never add a line or a key.</summary>
public sealed class ApiHaReaderTests
{
    private static IReadOnlyList<KeyValuePair<string, string>> Entry(params (string Key, string Value)[] pairs) =>
        pairs.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)).ToList();

    [Fact]
    public void Resources_are_written_as_type_colon_vmid_with_their_keys()
    {
        var text = ApiHaReader.ToSectionText([Entry(("sid", "vm:105"), ("type", "vm"), ("state", "started"), ("group", "skx"), ("digest", "abc"))], "sid", "type", splitSid: true);

        Assert.Equal("vm: 105\n\tstate started\n\tgroup skx\n\n", text);
        var resource = Assert.Single(HaConfigParser.ParseResources(text).GetValueOrThrow().Resources);
        Assert.Equal("skx", resource.Group);
    }

    [Fact]
    public void A_value_with_a_newline_cannot_smuggle_a_strict_line_into_a_rule()
    {
        var text = ApiHaReader.ToSectionText(
            [Entry(("rule", "keep"), ("type", "node-affinity"), ("resources", "vm:105"), ("nodes", "pve1\n\tstrict 1"), ("strict", "0"), ("order", "1"))],
            "rule",
            "type",
            splitSid: false);

        var rule = Assert.Single(HaConfigParser.ParseRules(text).GetValueOrThrow().Rules);
        Assert.False(rule.Strict);
        Assert.DoesNotContain("\n\tstrict 1\n\tstrict", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_that_are_not_plain_names_are_dropped()
    {
        var text = ApiHaReader.ToSectionText([Entry(("group", "skx"), ("nodes", "pve1"), ("Restricted ", "1"), ("x\ny", "1"))], "group", "type", splitSid: false);

        Assert.Equal("group: skx\n\tnodes pve1\n\n", text);
    }
}
