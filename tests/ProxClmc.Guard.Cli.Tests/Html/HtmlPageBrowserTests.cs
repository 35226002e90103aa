using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Html;

/// <summary>
/// <c>scan --format html</c> opened in Debian's chromium, headless: the DOM after the page's script ran must hold every
/// guest with its verdict (as <c>scan --format json</c> gives them), the node matrix, and none of the hostile names as
/// an element. Each page and a screenshot of it are kept under artifacts/html/ for people to look at.
/// </summary>
public sealed partial class HtmlPageBrowserTests
{
    private static readonly string Artifacts = RepoPaths.Combine("artifacts", "html");

    public static TheoryData<string, string> Snapshots => new()
    {
        { "lab", RepoPaths.LabCluster },
        { "ha-lab", RepoPaths.HaLab },
        { "hostile", GuardRun.Fixture("snapshots", "hostile-names") },
    };

    [Theory]
    [MemberData(nameof(Snapshots))]
    public void Chromium_shows_every_guest_with_its_verdict_and_every_node_in_the_matrix(string name, string snapshot)
    {
        var (page, json) = Render(name, snapshot);
        var dom = HeadlessChromium.DumpDom(page);
        using var doc = JsonDocument.Parse(json);

        // The script ran (the page's Content-Security-Policy allowed it by its hash): the filter bar is shown.
        Assert.Matches("<p class=\"controls\" id=\"filter\">", dom);

        var rows = GuestRow().Matches(dom).ToDictionary(m => int.Parse(m.Groups["vmid"].Value, System.Globalization.CultureInfo.InvariantCulture), m => m);
        var guests = doc.RootElement.GetProperty("guests").EnumerateArray().ToList();
        Assert.Equal(guests.Count, rows.Count);
        foreach (var guest in guests)
        {
            var row = rows[guest.GetProperty("vmid").GetInt32()];
            Assert.Equal(guest.GetProperty("verdict").GetString(), row.Groups["verdict"].Value);
            Assert.Equal(guest.GetProperty("name").GetString() ?? "-", WebUtility.HtmlDecode(row.Groups["name"].Value));
        }

        // Unsafe guests first.
        var order = GuestRow().Matches(dom).Select(m => m.Groups["class"].Value).ToList();
        Assert.Equal(order.OrderBy(c => c == "bad" ? 0 : 1).ToList(), order);

        var matrix = Section(dom, "nodes");
        var columns = ColumnHeader().Count(matrix);
        var nodes = doc.RootElement.GetProperty("cluster").GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(nodes.Count, NodeRow().Count(matrix));
        string[] levels = ["kvm64", "x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4"];
        foreach (var node in nodes)
        {
            var nodeName = node.GetProperty("name").GetString()!;
            var row = NodeRow().Matches(matrix).Single(m => WebUtility.HtmlDecode(m.Groups["node"].Value) == nodeName);
            var cells = Cell().Matches(row.Groups["cells"].Value).ToList();
            Assert.Equal(columns, cells.Count);

            // The level columns come first: a node can run every level up to its own and none above it.
            var level = Array.IndexOf(levels, node.GetProperty("level").GetString());
            for (var i = 0; i < levels.Length; i++)
            {
                Assert.Equal(i <= level ? "✓ can" : "✗ cannot", cells[i].Groups["text"].Value);
                if (i > level)
                {
                    Assert.StartsWith("lacks ", cells[i].Groups["title"].Value, StringComparison.Ordinal);
                }
            }

            // Every "cannot" is repeated in the row under the node, with the flags.
            var cannot = cells.Count(c => c.Groups["text"].Value == "✗ cannot");
            var details = Regex.Match(row.Groups["after"].Value, "^<tr class=\"lacks\"><td colspan=\"\\d+\"><span class=\"who\">[^<]*</span><ul>(.*?)</ul>");
            Assert.Equal(cannot, Regex.Count(details.Groups[1].Value, "<li>"));
        }

        Assert.Contains("<section id=\"changes\">", dom, StringComparison.Ordinal);
        var screenshot = Path.Combine(Artifacts, name + ".png");
        HeadlessChromium.Screenshot(page, screenshot);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(screenshot)[..4]);
        HeadlessChromium.Screenshot(page, Path.Combine(Artifacts, name + "-dark.png"), dark: true);
    }

    [Fact]
    public void In_chromium_no_hostile_name_becomes_an_element()
    {
        var (page, _) = Render("hostile-elements", GuardRun.Fixture("snapshots", "hostile-names"));
        var dom = HeadlessChromium.DumpDom(page);

        // The page's own elements only: one style, one script, no image, frame, SVG or inline formatting from a name.
        Assert.Single(Regex.Matches(dom, "<script[ >]"));
        Assert.Single(Regex.Matches(dom, "<style[ >]"));
        foreach (var element in new[] { "img", "svg", "iframe", "i", "u", "pre" })
        {
            Assert.DoesNotMatch($"<{element}[ >]", dom);
        }

        Assert.Equal(Regex.Count(Section(dom, "nodes"), "<b[ >]"), Regex.Count(dom, "<b[ >]"));
        Assert.Single(Regex.Matches(dom, "<h1>"));

        // Each name is there, as text.
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", dom, StringComparison.Ordinal);
        Assert.Contains("&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;", dom, StringComparison.Ordinal);
        Assert.Contains("\"&gt;&lt;svg onload=alert(3)&gt;", dom, StringComparison.Ordinal);
        Assert.Contains("'&gt;&lt;iframe src=javascript:alert(4)&gt;", dom, StringComparison.Ordinal);
        Assert.Contains("&amp;lt;pre-escaped&amp;gt; &amp;amp; &lt;/style&gt;&lt;style&gt;*{display:none}&lt;/style&gt;", dom, StringComparison.Ordinal);
        Assert.Contains("<title>CPU compatibility: &lt;b&gt;evil&lt;/b&gt;&amp;amp;</title>", dom, StringComparison.Ordinal);
        Assert.Contains("'&lt;b&gt;bold-cpu&lt;/b&gt;' is not a CPU model", dom, StringComparison.Ordinal);
    }

    /// <summary>Writes the page and the JSON of the same scan; the page is kept under artifacts/html/.</summary>
    private static (string Page, string Json) Render(string name, string snapshot)
    {
        var html = GuardRun.Run("scan", "--from", snapshot, "--format", "html");
        var json = GuardRun.Run("scan", "--from", snapshot, "--format", "json");
        Assert.True(html.Exit is 0 or 1 or 2, html.ToString());
        Assert.Equal(json.Exit, html.Exit);
        Directory.CreateDirectory(Artifacts);
        var page = Path.Combine(Artifacts, name + ".html");
        File.WriteAllText(page, html.Out);
        return (page, json.Out);
    }

    private static string Section(string dom, string id)
    {
        var start = dom.IndexOf($"<section id=\"{id}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {id}");
        return dom[start..dom.IndexOf("</section>", start, StringComparison.Ordinal)];
    }

    [GeneratedRegex("<tr class=\"(?<class>\\w+)\"><th scope=\"row\">(?<vmid>\\d+)</th><td>(?<name>[^<]*)</td>.*?<td class=\"v\" data-r=\"\\d+\">. (?<verdict>[a-z-]+)</td>")]
    private static partial Regex GuestRow();

    [GeneratedRegex("<tr><th scope=\"row\">(?<node>[^<]*)</th>(?<cells>.*?)</tr>\n(?=(?<after>[^\n]*))")]
    private static partial Regex NodeRow();

    [GeneratedRegex("<td class=\"(?:good|bad|unknown)\"(?: title=\"(?<title>[^\"]*)\")?>(?<text>[^<]*)</td>")]
    private static partial Regex Cell();

    [GeneratedRegex("<th scope=\"col\" title=\"[^\"]*\">")]
    private static partial Regex ColumnHeader();
}
