using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Scan;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Core.Compliance;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// <c>scan --format html</c> and <c>[report] html_file</c>: one self-contained page (no fonts, scripts, images or
/// styles from anywhere else) with the header, the node matrix, the guest table and the changes since the last scan.
/// <para>
/// Every value that comes from a config, a snapshot or an API answer is written through <see cref="Text"/> (control
/// characters made visible, then <c>&amp; &lt; &gt; " '</c> as entities), and only into element text or quoted
/// attribute values: never into the script or the style. The page's Content-Security-Policy allows only this
/// page's own script and style (by their SHA-256) and nothing else, so even a name that got through would not run.
/// The script only filters and sorts the guest table; with scripts off the page is whole, only without the filter.
/// </para>
/// </summary>
public static class HtmlReport
{
    public static string Render(ScanResult result, ComplianceReport report, NodeMatrix matrix, IReadOnlyList<ReportChange>? changes, DateTimeOffset generatedAt)
    {
        var writer = new StringWriter(new StringBuilder(4096 + (report.Verdicts.Count * 400)), CultureInfo.InvariantCulture);
        Write(writer, result, report, matrix, changes, generatedAt);
        return writer.ToString();
    }

    /// <param name="changes">The changes since the last scan; null when no earlier scan was recorded (then the section says so).</param>
    public static void Write(TextWriter w, ScanResult result, ComplianceReport report, NodeMatrix matrix, IReadOnlyList<ReportChange>? changes, DateTimeOffset generatedAt)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(matrix);
        var cluster = result.Cluster;
        var clusterName = cluster.Membership.ClusterName ?? (cluster.Membership.IsStandalone ? "standalone node" : "cluster");
        w.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        w.Write("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src '");
        w.Write(StyleHash);
        w.Write("'; script-src '");
        w.Write(ScriptHash);
        w.Write("'; base-uri 'none'; form-action 'none'\">\n");
        w.Write("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n");
        w.Write("<meta name=\"generator\" content=\"proxclmc-guard ");
        w.Write(Text(VersionInfo.Version));
        w.Write("\">\n<title>CPU compatibility: ");
        w.Write(Text(clusterName));
        w.Write("</title>\n<style>");
        w.Write(Style);
        w.Write("</style>\n</head>\n<body>\n");
        WriteHeader(w, cluster, report, clusterName, generatedAt);
        WriteMatrix(w, cluster, matrix);
        WriteGuests(w, report);
        WriteChanges(w, changes);
        w.Write("<footer><p>Written by proxclmc-guard ");
        w.Write(Text(VersionInfo.Version));
        w.Write(". ✓ can run, ✗ cannot run, ? not known; the same answers as <code>scan --format json</code>.</p></footer>\n<script>");
        w.Write(Script);
        w.Write("</script>\n</body>\n</html>\n");
    }

    private static void WriteHeader(TextWriter w, ClusterAnalysis cluster, ComplianceReport report, string clusterName, DateTimeOffset generatedAt)
    {
        var baseline = cluster.Baseline;
        w.Write("<header>\n<h1>CPU compatibility of <span class=\"name\">");
        w.Write(Text(clusterName));
        w.Write("</span></h1>\n<dl class=\"facts\">\n");
        Fact(w, "Cluster", clusterName + " (" + Names.Count(cluster.Membership.Nodes.Count, "node") + ")");
        Fact(w, "Scanned", generatedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        Fact(w, "Read from", cluster.SourceDescription);
        Fact(w, "Cluster CPU type", baseline.ClusterCpuType + (baseline.PinnedModel is not null ? " (pinned by policy.baseline)" : "") + (baseline.IsPartial ? " (PARTIAL)" : ""));
        Fact(w, "Baseline level", CpuCatalog.LevelName(baseline.Level));
        Fact(w, "Best shared named model", baseline.NamedModel?.Name ?? "none");
        w.Write("</dl>\n");

        var lines = TableRenderer.BaselineLines(baseline).Where(l => l.StartsWith("PARTIAL", StringComparison.Ordinal) || l.StartsWith("NON-COMPLIANT", StringComparison.Ordinal) || l.StartsWith("Warning", StringComparison.Ordinal)).ToList();
        if (lines.Count > 0)
        {
            w.Write("<ul class=\"alerts\">\n");
            foreach (var line in lines)
            {
                w.Write("<li>");
                w.Write(Text(line));
                w.Write("</li>\n");
            }

            w.Write("</ul>\n");
        }

        w.Write("<table class=\"counts\">\n<caption>Guests by verdict: ");
        w.Write(Text(TableRenderer.Summary(report)));
        w.Write("</caption>\n<thead><tr>");
        foreach (var verdict in VerdictNames.All)
        {
            w.Write("<th scope=\"col\">");
            w.Write(verdict.Name());
            w.Write("</th>");
        }

        w.Write("</tr></thead>\n<tbody><tr>");
        foreach (var verdict in VerdictNames.All)
        {
            var count = report.Count(verdict);
            w.Write("<td class=\"");
            w.Write(count == 0 ? "zero" : Class(verdict, false));
            w.Write("\">");
            w.Write(count.ToString(CultureInfo.InvariantCulture));
            w.Write("</td>");
        }

        w.Write("</tr></tbody>\n</table>\n</header>\n");
    }

    private static void Fact(TextWriter w, string name, string value)
    {
        w.Write("<div><dt>");
        w.Write(name);
        w.Write("</dt><dd>");
        w.Write(Text(value));
        w.Write("</dd></div>\n");
    }

    private static void WriteMatrix(TextWriter w, ClusterAnalysis cluster, NodeMatrix matrix)
    {
        var columns = matrix.Columns;
        var total = 4 + columns.Count;
        w.Write("<section id=\"nodes\">\n<h2>Which node can run which CPU type</h2>\n<div class=\"scroll\">\n<table class=\"matrix\">\n");
        w.Write("<caption>One row per node. A cell says whether the node can run a guest of that CPU type; its title and the row under the node name the CPU flags the node lacks.</caption>\n");
        w.Write("<thead>\n<tr><th scope=\"col\" rowspan=\"2\">Node</th><th scope=\"col\" rowspan=\"2\">CPU</th><th scope=\"col\" rowspan=\"2\">Level</th><th scope=\"col\" rowspan=\"2\">Best named model</th>");
        foreach (var group in columns.GroupBy(c => c.Kind))
        {
            w.Write("<th scope=\"colgroup\" colspan=\"");
            w.Write(group.Count().ToString(CultureInfo.InvariantCulture));
            w.Write("\">");
            w.Write(group.Key switch { MatrixColumnKind.Level => "Proxmox levels", MatrixColumnKind.Named => "Named models", _ => "Custom models" });
            w.Write("</th>");
        }

        w.Write("</tr>\n<tr>");
        foreach (var column in columns)
        {
            w.Write("<th scope=\"col\" title=\"");
            w.Write(Text(column.Why));
            w.Write("\">");
            w.Write(Text(column.CpuType));
            w.Write("</th>");
        }

        w.Write("</tr>\n</thead>\n<tbody>\n");
        for (var i = 0; i < matrix.Nodes.Count; i++)
        {
            var node = cluster.Baseline.Nodes[i];
            w.Write("<tr><th scope=\"row\">");
            w.Write(Text(node.Node));
            w.Write("</th><td>");
            if (node.Facts.Cpu is { } cpu)
            {
                w.Write(Text(Names.ShortModelName(cpu.ModelName)));
                if (node.Facts.IsStale)
                {
                    w.Write(" <em>(last known)</em>");
                }

                w.Write("</td><td>");
                w.Write(Text(CpuCatalog.LevelName(node.Level)));
                w.Write("</td><td>");
                w.Write(Text(node.BestNamedModel?.Name ?? "-"));
            }
            else
            {
                w.Write("<strong class=\"bad\">✗ unreadable</strong>: ");
                w.Write(Text(node.Facts.Error ?? "no facts"));
                w.Write("</td><td>-</td><td>-");
            }

            w.Write("</td>");
            var lacks = new List<(string CpuType, string Why)>();
            for (var c = 0; c < columns.Count; c++)
            {
                var fit = matrix.Cells[i][c];
                var why = fit is null ? "not judged" : Why(fit);
                switch (fit?.CanRun)
                {
                    case true:
                        w.Write("<td class=\"good\">✓ can</td>");
                        break;
                    case false:
                        lacks.Add((columns[c].CpuType, why));
                        w.Write("<td class=\"bad\" title=\"");
                        w.Write(Text(why));
                        w.Write("\">✗ cannot</td>");
                        break;
                    default:
                        w.Write("<td class=\"unknown\" title=\"");
                        w.Write(Text(why));
                        w.Write("\">? not known</td>");
                        break;
                }
            }

            w.Write("</tr>\n");
            if (lacks.Count > 0)
            {
                w.Write("<tr class=\"lacks\"><td colspan=\"");
                w.Write(total.ToString(CultureInfo.InvariantCulture));
                w.Write("\"><span class=\"who\">");
                w.Write(Text(node.Node));
                w.Write(" cannot run:</span><ul>");
                foreach (var (cpuType, why) in lacks)
                {
                    w.Write("<li><b>");
                    w.Write(Text(cpuType));
                    w.Write("</b>: ");
                    w.Write(Text(why));
                    w.Write("</li>");
                }

                w.Write("</ul></td></tr>\n");
            }
        }

        w.Write("</tbody>\n</table>\n</div>\n</section>\n");
    }

    private static void WriteGuests(TextWriter w, ComplianceReport report)
    {
        var nodes = report.Baseline.Nodes.Select(n => n.Node).ToList();
        w.Write("<section id=\"guests-section\">\n<h2>Guests</h2>\n");
        w.Write("<p class=\"controls\" id=\"filter\" hidden><label>Filter <input id=\"q\" type=\"search\" placeholder=\"VMID, name, node, CPU, verdict…\"></label> <label><input id=\"unsafe\" type=\"checkbox\"> unsafe only</label> <span id=\"shown\"></span></p>\n");
        w.Write("<div class=\"scroll\">\n<table id=\"guests\" class=\"guests\">\n<caption>");
        w.Write(Text(TableRenderer.Summary(report)));
        w.Write(". Unsafe guests first. One mark per node: can that node run the guest's CPU type?</caption>\n<thead><tr>");
        w.Write("<th scope=\"col\" data-sort=\"n\">VMID</th><th scope=\"col\" data-sort=\"t\">Name</th><th scope=\"col\" data-sort=\"t\">Node</th><th scope=\"col\" data-sort=\"t\">CPU type</th><th scope=\"col\" data-sort=\"r\">Verdict</th><th scope=\"col\">Reason</th><th scope=\"col\">Notes</th>");
        foreach (var node in nodes)
        {
            w.Write("<th scope=\"col\" class=\"mark\">");
            w.Write(Text(node));
            w.Write("</th>");
        }

        w.Write("</tr></thead>\n<tbody>\n");
        var rank = 0;
        Verdict? last = null;
        foreach (var verdict in report.Verdicts)
        {
            var guest = verdict.Guest;
            var cls = Class(verdict.Verdict, verdict.HasWarningNote);
            if (verdict.Verdict != last)
            {
                rank++;
                last = verdict.Verdict;
            }

            w.Write("<tr class=\"");
            w.Write(cls);
            w.Write("\"><th scope=\"row\">");
            w.Write(guest.VmId.ToString(CultureInfo.InvariantCulture));
            w.Write("</th><td>");
            w.Write(Text(guest.Name ?? "-"));
            w.Write("</td><td>");
            w.Write(Text(guest.Node));
            w.Write("</td><td><code>");
            w.Write(Text(verdict.Cpu.Length == 0 ? "-" : verdict.Cpu));
            w.Write("</code></td><td class=\"v\" data-r=\"");
            w.Write(rank.ToString(CultureInfo.InvariantCulture));
            w.Write("\">");
            w.Write(Symbol(cls));
            w.Write(' ');
            w.Write(verdict.Verdict.Name());
            w.Write("</td><td>");
            WriteReason(w, verdict);
            w.Write("</td><td>");
            for (var i = 0; i < verdict.Notes.Count; i++)
            {
                var note = verdict.Notes[i];
                w.Write(note.IsWarning ? "<p class=\"warn\">! " : "<p>");
                w.Write(Text(note.Text));
                w.Write("</p>");
            }

            w.Write("</td>");
            WriteMarks(w, verdict, nodes);
            w.Write("</tr>\n");
        }

        w.Write("</tbody>\n</table>\n</div>\n</section>\n");
    }

    /// <summary>The longest reason a guest row shows whole; longer ones (a host CPU on 64 nodes) end in "…" and say where to read them whole.</summary>
    public const int MaxReason = 600;

    /// <summary>How many missing flags a node mark's title names before "and N more".</summary>
    public const int MaxTitleFlags = 8;

    private static void WriteReason(TextWriter w, GuestVerdict verdict)
    {
        var reason = verdict.Reason;
        if (reason.Length <= MaxReason)
        {
            w.Write(Text(reason));
            return;
        }

        w.Write(Text(TableWidth.Shorten(reason, MaxReason)));
        w.Write(" <span class=\"more\">(whole in <code>scan --vmid ");
        w.Write(verdict.Guest.VmId.ToString(CultureInfo.InvariantCulture));
        w.Write(" -v</code> and the JSON report)</span>");
    }

    /// <summary>
    /// One mark per node. A guest every node can run gets one cell across all the node columns: on a cluster of
    /// 64 nodes and 10,000 guests that is what keeps the page a few megabytes.
    /// </summary>
    private static void WriteMarks(TextWriter w, GuestVerdict verdict, IReadOnlyList<string> nodes)
    {
        if (nodes.Count == 0)
        {
            return;
        }

        var fits = verdict.Fits;
        if (nodes.Count > 1 && fits.Count == nodes.Count && fits.All(f => f.CanRun == true))
        {
            w.Write("<td class=\"all\" colspan=\"");
            w.Write(nodes.Count.ToString(CultureInfo.InvariantCulture));
            w.Write("\">✓ every node</td>");
            return;
        }

        // host, max, a guest not judged: the reason says why; one cell keeps a big cluster's page small.
        if (nodes.Count > 1 && fits.All(f => f.CanRun is null))
        {
            w.Write("<td class=\"u\" colspan=\"");
            w.Write(nodes.Count.ToString(CultureInfo.InvariantCulture));
            w.Write("\">? no node known</td>");
            return;
        }

        foreach (var node in nodes)
        {
            NodeFit? fit = null;
            foreach (var f in fits)
            {
                if (f.Node == node)
                {
                    fit = f;
                    break;
                }
            }

            switch (fit?.CanRun)
            {
                case true:
                    w.Write("<td class=\"y\">✓</td>");
                    break;
                case false:
                    w.Write("<td class=\"n\" title=\"");
                    w.Write(Text(node + ": " + Why(fit, MaxTitleFlags)));
                    w.Write("\">✗</td>");
                    break;
                default:
                    w.Write("<td class=\"u\">?</td>");
                    break;
            }
        }
    }

    private static void WriteChanges(TextWriter w, IReadOnlyList<ReportChange>? changes)
    {
        w.Write("<section id=\"changes\">\n<h2>Changes since the last scan</h2>\n");
        if (changes is null)
        {
            w.Write("<p>No earlier scan is recorded to compare with.</p>\n</section>\n");
            return;
        }

        if (changes.Count == 0)
        {
            w.Write("<p>Nothing changed since the last scan.</p>\n</section>\n");
            return;
        }

        w.Write("<table class=\"changes\">\n<caption>");
        w.Write(Text(Names.Count(changes.Count, "change")));
        w.Write(", newest first</caption>\n<thead><tr><th scope=\"col\">When</th><th scope=\"col\">Kind</th><th scope=\"col\">What</th><th scope=\"col\">Change</th></tr></thead>\n<tbody>\n");
        foreach (var change in changes)
        {
            w.Write("<tr><td>");
            w.Write(change.At is { } at ? at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "-");
            w.Write("</td><td>");
            w.Write(Text(change.Kind));
            w.Write("</td><th scope=\"row\">");
            w.Write(Text(change.Subject));
            w.Write("</th><td>");
            w.Write(Text(change.Text));
            w.Write("</td></tr>\n");
        }

        w.Write("</tbody>\n</table>\n</section>\n");
    }

    private static string Why(NodeFit fit, int maxFlags = int.MaxValue)
    {
        if (fit.MissingFlags.Count > 0)
        {
            return "lacks " + (fit.MissingFlags.Count <= maxFlags
                ? string.Join(", ", fit.MissingFlags)
                : string.Join(", ", fit.MissingFlags.Take(maxFlags)) + $" and {fit.MissingFlags.Count - maxFlags} more");
        }

        return fit.Reason.Length > 0 ? fit.Reason : fit.VendorMismatch ? "another CPU vendor" : "cannot run it";
    }

    /// <summary>The colour class of a verdict; the verdict's name and a symbol are always written beside it.</summary>
    private static string Class(Verdict verdict, bool warningNote) => verdict switch
    {
        _ when verdict.IsUnsafe() => "bad",
        Verdict.InvalidConfig => "bad",
        _ when verdict.IsWarning() || warningNote => "warn",
        Verdict.Ok => "good",
        _ => "muted",
    };

    private static string Symbol(string cls) => cls switch
    {
        "bad" => "✗",
        "warn" => "!",
        "good" => "✓",
        _ => "–",
    };

    /// <summary>
    /// A value from outside as HTML text or a quoted attribute value: control and direction characters made visible
    /// (as in the terminal table), then the five characters HTML gives a meaning written as entities.
    /// </summary>
    public static string Text(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var visible = Names.Visible(value);
        if (visible.AsSpan().IndexOfAny("&<>\"'") < 0)
        {
            return visible;
        }

        var sb = new StringBuilder(visible.Length + 16);
        foreach (var c in visible)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => null,
            } ?? c.ToString());
        }

        return sb.ToString();
    }

    private static string Sha256(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static readonly string StyleHash = Sha256(Style);

    private static readonly string ScriptHash = Sha256(Script);

    private const string Style = """

        :root{--bg:#fff;--fg:#1b1f24;--muted:#5b636e;--line:#d5d9de;--head:#f2f4f6;--good:#0f6b2f;--good-bg:#e3f4e8;--bad:#a4121b;--bad-bg:#fde5e6;--warn:#7a4b00;--warn-bg:#fff1cc;--unk:#4a4f57;--unk-bg:#eceef1;--accent:#1f5fae}
        @media (prefers-color-scheme:dark){:root{--bg:#15181c;--fg:#e4e7eb;--muted:#9aa3ad;--line:#343a41;--head:#1f2328;--good:#7fdc9a;--good-bg:#173322;--bad:#ff9da3;--bad-bg:#45181c;--warn:#ffd27a;--warn-bg:#3d2e0c;--unk:#c4c9cf;--unk-bg:#2a2f35;--accent:#8ab8f0}}
        *{box-sizing:border-box}
        body{margin:0 auto;padding:1.2rem 1.5rem 2rem;max-width:120rem;background:var(--bg);color:var(--fg);font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif}
        h1{font-size:1.5rem;margin:0 0 .6rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;padding-bottom:.2rem;border-bottom:2px solid var(--line)}
        code{font:12.5px/1.3 ui-monospace,"DejaVu Sans Mono",monospace}
        .facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.3rem 1.2rem;margin:0 0 .8rem}
        .facts div{border-left:3px solid var(--accent);padding-left:.5rem}.facts dt{color:var(--muted);font-size:.8rem}.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
        .alerts{margin:.4rem 0;padding:.4rem .8rem .4rem 1.6rem;background:var(--warn-bg);color:var(--warn);border-radius:4px}
        table{border-collapse:collapse;font-size:13px}caption{text-align:left;color:var(--muted);padding:.2rem 0 .4rem;caption-side:top}
        th,td{border:1px solid var(--line);padding:.25rem .45rem;text-align:left;vertical-align:top}
        thead th{background:var(--head);position:sticky;top:0;z-index:1}
        tbody th{font-weight:600;white-space:nowrap}
        .scroll{overflow-x:auto}
        .counts td,.counts th{text-align:center;min-width:6.5rem}.counts td{font-size:1.25rem;font-weight:700}.counts .zero{color:var(--muted)}
        .good{color:var(--good);background:var(--good-bg)}.bad{color:var(--bad);background:var(--bad-bg)}.warn{color:var(--warn);background:var(--warn-bg)}.unknown,.muted{color:var(--unk);background:var(--unk-bg)}
        .matrix td.good,.matrix td.bad,.matrix td.unknown{text-align:center;white-space:nowrap;font-weight:600}
        .matrix thead th[title]{text-decoration:underline dotted;cursor:help}
        tr.lacks td{background:var(--bg);color:var(--muted);font-size:12px;border-top:none}
        tr.lacks ul{display:inline;margin:0;padding:0}tr.lacks li{display:inline;margin-right:1rem}tr.lacks .who{margin-right:.5rem;font-weight:600}
        .guests tbody tr{background:var(--bg);color:var(--fg)}
        .guests tbody tr.bad th{box-shadow:inset 4px 0 var(--bad)}.guests tbody tr.warn th{box-shadow:inset 4px 0 var(--warn)}
        .guests td.v{white-space:nowrap;font-weight:600}
        .guests tr.bad td.v{color:var(--bad);background:var(--bad-bg)}.guests tr.warn td.v{color:var(--warn);background:var(--warn-bg)}.guests tr.good td.v{color:var(--good);background:var(--good-bg)}.guests tr.muted td.v{color:var(--unk);background:var(--unk-bg)}
        .guests tbody td:nth-child(2),.guests tbody td:nth-child(3){white-space:nowrap}.guests tbody td:nth-child(4){min-width:11rem}
        .guests .more{color:var(--muted);font-size:12px}
        .guests td p{margin:0}.guests td p+p{margin-top:.2rem}.guests td p.warn{background:none}
        .guests th.mark{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:600;padding:.4rem .2rem}
        .guests td.y,.guests td.n,.guests td.u,.guests td.all{text-align:center;font-weight:700}
        .guests td.y,.guests td.all{color:var(--good)}.guests td.n{color:var(--bad);background:var(--bad-bg)}.guests td.u{color:var(--unk);background:var(--unk-bg)}
        .guests td.all{font-weight:400;font-size:12px}
        thead th[data-sort]{cursor:pointer}thead th[aria-sort=ascending]::after{content:" ▲"}thead th[aria-sort=descending]::after{content:" ▼"}
        .controls input[type=search]{font:inherit;padding:.2rem .4rem;min-width:18rem}
        footer{margin-top:2rem;color:var(--muted);font-size:12px}
        @media print{@page{size:A4 landscape;margin:9mm}
        body{max-width:none;padding:0;font-size:9pt;-webkit-print-color-adjust:exact;print-color-adjust:exact}
        .controls{display:none}.scroll{overflow:visible}table{font-size:8pt;width:100%}code{font-size:7.5pt}
        thead{display:table-header-group}thead th{position:static}tr{break-inside:avoid}h2{break-after:avoid}
        .guests td:nth-child(6){max-width:60mm}}

        """;

    private const string Script = """

        (function () {
          var table = document.getElementById("guests");
          if (!table) return;
          var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
          var bar = document.getElementById("filter"), q = document.getElementById("q");
          var unsafeOnly = document.getElementById("unsafe"), shown = document.getElementById("shown");
          var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
          bar.hidden = false;
          function filter() {
            var s = q.value.trim().toLowerCase(), u = unsafeOnly.checked, n = 0;
            for (var i = 0; i < rows.length; i++) {
              var hide = (u && !rows[i].classList.contains("bad")) || (s !== "" && texts[i].indexOf(s) < 0);
              rows[i].hidden = hide;
              if (!hide) n++;
            }
            shown.textContent = n + " of " + rows.length + " guests shown";
          }
          q.addEventListener("input", filter);
          unsafeOnly.addEventListener("change", filter);
          var heads = table.tHead.rows[0].cells;
          Array.prototype.forEach.call(heads, function (th, col) {
            var kind = th.getAttribute("data-sort");
            if (!kind) return;
            th.tabIndex = 0;
            function sort() {
              var up = th.getAttribute("aria-sort") !== "ascending";
              Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
              th.setAttribute("aria-sort", up ? "ascending" : "descending");
              var keyed = rows.map(function (r, i) {
                var c = r.cells[col];
                var k = kind === "n" ? Number(c.textContent) : kind === "r" ? Number(c.getAttribute("data-r")) : c.textContent.toLowerCase();
                return { r: r, k: k, i: i };
              });
              keyed.sort(function (a, b) {
                var d = a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i;
                return up ? d : -d;
              });
              var f = document.createDocumentFragment();
              keyed.forEach(function (x) { f.appendChild(x.r); });
              body.appendChild(f);
            }
            th.addEventListener("click", sort);
            th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
          });
        })();

        """;
}
