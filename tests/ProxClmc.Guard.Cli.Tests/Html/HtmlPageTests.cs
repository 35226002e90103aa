using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Html;

/// <summary>The page as a file: self-contained, locked down by its own Content-Security-Policy, and written with the other reports.</summary>
public sealed class HtmlPageTests
{
    [Fact]
    public void The_page_loads_nothing_from_anywhere_and_allows_only_its_own_script_and_style()
    {
        var page = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "html");

        Assert.Equal(2, page.Exit);
        Assert.StartsWith("<!DOCTYPE html>\n<html lang=\"en\">", page.Out, StringComparison.Ordinal);
        foreach (var outside in new[] { "http:", "https:", "//", " src=", " href=", "url(", "@import", "<link", "<img", "<iframe", "<object", "<embed" })
        {
            Assert.DoesNotContain(outside, page.Out.Replace("<!DOCTYPE", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }

        var script = Assert.Single(Regex.Matches(page.Out, "<script>(.*?)</script>", RegexOptions.Singleline)).Groups[1].Value;
        var style = Assert.Single(Regex.Matches(page.Out, "<style>(.*?)</style>", RegexOptions.Singleline)).Groups[1].Value;
        var policy = Regex.Match(page.Out, "<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\">").Groups[1].Value;
        Assert.Equal(
            $"default-src 'none'; style-src '{Hash(style)}'; script-src '{Hash(script)}'; base-uri 'none'; form-action 'none'",
            policy);
        Assert.Contains("prefers-color-scheme:dark", style, StringComparison.Ordinal);
        Assert.Contains("@page{size:A4 landscape", style, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_reports_puts_the_same_page_in_report_html_file_beside_the_json_and_the_metrics()
    {
        using var tree = new TempTree();
        var config = tree.Write(
            $"""
            [report]
            json_file = "{tree.PathOf("out", "report.json")}"
            prometheus_textfile = "{tree.PathOf("out", "proxclmc_guard.prom")}"
            html_file = "{tree.PathOf("out", "report.html")}"
            """,
            "guard.toml");
        Directory.CreateDirectory(tree.PathOf("out"));

        var result = GuardRun.Run("scan", "--from", GuardRun.Lab, "--config", config, "--write-reports", "--format", "html");

        Assert.Equal(2, result.Exit);
        Assert.Equal(result.Out, File.ReadAllText(tree.PathOf("out", "report.html")));
        Assert.True(File.Exists(tree.PathOf("out", "report.json")));
        Assert.True(File.Exists(tree.PathOf("out", "proxclmc_guard.prom")));
        Assert.Equal(["proxclmc_guard.prom", "report.html", "report.json"], Directory.GetFiles(tree.PathOf("out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Without_an_earlier_scan_the_changes_section_says_so()
    {
        var page = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "html");

        Assert.Contains("<section id=\"changes\">\n<h2>Changes since the last scan</h2>\n<p>No earlier scan is recorded to compare with.</p>", page.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_header_names_the_cluster_time_source_baseline_and_verdict_counts()
    {
        var page = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "html").Out;

        Assert.Contains("<h1>CPU compatibility of <span class=\"name\">lab</span></h1>", page, StringComparison.Ordinal);
        Assert.Contains("<dt>Scanned</dt><dd>2026-11-23 12:00:00 UTC</dd>", page, StringComparison.Ordinal);
        Assert.Contains($"<dt>Read from</dt><dd>{GuardRun.Lab}</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<dt>Cluster CPU type</dt><dd>x86-64-v2-AES</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<dt>Best shared named model</dt><dd>SandyBridge-IBRS</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<caption>Guests by verdict: 25 guests: 11 unsafe, 4 with warnings", page, StringComparison.Ordinal);
        Assert.Contains("<td class=\"bad\">8</td>", page, StringComparison.Ordinal);
    }

    private static string Hash(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
