using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Scan;

/// <summary>
/// <c>scan --format prometheus</c> is read line by line by a strict parser of the text exposition format
/// (version 0.0.4, as node_exporter's textfile collector reads it), then its series are compared with the JSON report.
/// </summary>
public sealed partial class PrometheusExpositionTests
{
    [Fact]
    public void The_lab_cluster_report_follows_the_exposition_format_and_matches_the_json_report()
    {
        var prometheus = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "prometheus");
        var json = GuardRun.Run("scan", "--from", GuardRun.Lab, "--format", "json");

        Assert.Equal(2, prometheus.Exit);
        var samples = Exposition.Parse(prometheus.Out);
        using var doc = JsonDocument.Parse(json.Out);

        var byVerdict = doc.RootElement.GetProperty("summary").GetProperty("byVerdict");
        var counts = samples.Where(s => s.Name == "proxclmc_guard_guests").ToDictionary(s => s.Labels["verdict"], s => s.Value);
        Assert.Equal(
            byVerdict.EnumerateObject().Select(p => $"{p.Name}={p.Value.GetInt32()}").Order(StringComparer.Ordinal),
            counts.Select(p => $"{p.Key}={p.Value.ToString(CultureInfo.InvariantCulture)}").Order(StringComparer.Ordinal));

        string[] unsafeVerdicts = ["exceeds-baseline", "host-cpu", "unknown-model"];
        var unsafeGuests = doc.RootElement.GetProperty("guests").EnumerateArray()
            .Where(g => unsafeVerdicts.Contains(g.GetProperty("verdict").GetString()))
            .Select(g => $"{g.GetProperty("vmid").GetInt32()} {g.GetProperty("node").GetString()} {g.GetProperty("verdict").GetString()}")
            .Order(StringComparer.Ordinal)
            .ToList();
        var series = samples.Where(s => s.Name == "proxclmc_guard_unsafe_guest").ToList();
        Assert.Equal(11, unsafeGuests.Count);
        Assert.Equal(unsafeGuests, series.Select(s => $"{s.Labels["vmid"]} {s.Labels["node"]} {s.Labels["verdict"]}").Order(StringComparer.Ordinal));
        Assert.All(series, s => Assert.Equal(1, s.Value));

        var info = Assert.Single(samples, s => s.Name == "proxclmc_guard_baseline_info");
        Assert.Equal("x86-64-v2-AES", info.Labels["cpu_type"]);
        Assert.Equal("SandyBridge-IBRS", info.Labels["named_model"]);
        Assert.Equal(1, info.Value);

        var timestamp = Assert.Single(samples, s => s.Name == "proxclmc_guard_last_run_timestamp_seconds");
        Assert.Equal(GuardRun.Now.ToUnixTimeSeconds(), timestamp.Value);
    }

    [Fact]
    public void Quotes_and_backslashes_in_guest_names_are_escaped_in_label_values()
    {
        var result = GuardRun.Run("scan", "--from", GuardRun.Fixture("snapshots", "odd-names"), "--format", "prometheus");

        var samples = Exposition.Parse(result.Out);
        var names = samples.Where(s => s.Name == "proxclmc_guard_unsafe_guest").ToDictionary(s => s.Labels["vmid"], s => s.Labels["name"]);
        Assert.Equal("quote\"in\\name", names["100"]);
        Assert.Equal("back\\\\slash", names["101"]);
        Assert.Equal("plain", names["102"]);
        Assert.Contains("name=\"quote\\\"in\\\\name\"", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("metric 1\n", true)]
    [InlineData("# TYPE m gauge\nm{a=\"x\\\"y\\\\z\\n\"} 1.5 1700000000000\n", true)]
    [InlineData("m 1", false)]
    [InlineData("1metric 1\n", false)]
    [InlineData("m{a=\"x\"} one\n", false)]
    [InlineData("m{a=\"x\\q\"} 1\n", false)]
    [InlineData("m{a=\"x\"} 1\nm{a=\"x\"} 2\n", false)]
    [InlineData("m 1\n# TYPE m gauge\n", false)]
    [InlineData("# TYPE m gauge\n# TYPE m gauge\nm 1\n", false)]
    [InlineData("m 1\nn 1\nm{a=\"b\"} 1\n", false)]
    [InlineData("m{1a=\"b\"} 1\n", false)]
    public void The_parser_itself_rejects_what_the_format_forbids(string text, bool valid)
    {
        // The checker must be able to fail: each rule above is broken once.
        var ok = true;
        try
        {
            Exposition.Parse(text);
        }
        catch (FormatException)
        {
            ok = false;
        }

        Assert.Equal(valid, ok);
    }

    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>A strict reader of the text exposition format; throws <see cref="FormatException"/> with the line number.</summary>
    internal static partial class Exposition
    {
        [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
        private static partial Regex MetricName();

        [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
        private static partial Regex LabelName();

        public static List<Sample> Parse(string text)
        {
            if (text.Length == 0 || text[^1] != '\n')
            {
                throw new FormatException("the last line must end with \\n");
            }

            var samples = new List<Sample>();
            var typed = new HashSet<string>(StringComparer.Ordinal);
            var helped = new HashSet<string>(StringComparer.Ordinal);
            var seenSeries = new HashSet<string>(StringComparer.Ordinal);
            var finishedFamilies = new HashSet<string>(StringComparer.Ordinal);
            var sampled = new HashSet<string>(StringComparer.Ordinal);
            string? current = null;
            var lines = text[..^1].Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                var at = $"line {i + 1}";
                if (line.StartsWith('#'))
                {
                    var parts = line.Split(' ', 4);
                    if (parts.Length >= 3 && parts[1] is "HELP" or "TYPE")
                    {
                        var name = parts[2];
                        if (!MetricName().IsMatch(name))
                        {
                            throw new FormatException($"{at}: bad metric name '{name}'");
                        }

                        if (parts[1] == "TYPE")
                        {
                            if (parts.Length != 4 || parts[3] is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                            {
                                throw new FormatException($"{at}: bad TYPE line");
                            }

                            if (!typed.Add(name))
                            {
                                throw new FormatException($"{at}: TYPE of {name} declared twice");
                            }

                            if (sampled.Contains(name))
                            {
                                throw new FormatException($"{at}: TYPE of {name} after its samples");
                            }
                        }
                        else if (!helped.Add(name))
                        {
                            throw new FormatException($"{at}: HELP of {name} given twice");
                        }

                        Enter(name, ref current, finishedFamilies, at);
                    }

                    continue;
                }

                if (line.Trim().Length == 0)
                {
                    continue;
                }

                var sample = ParseSample(line, at);
                Enter(sample.Name, ref current, finishedFamilies, at);
                sampled.Add(sample.Name);
                var key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}";
                if (!seenSeries.Add(key))
                {
                    throw new FormatException($"{at}: duplicate series {key}");
                }

                samples.Add(sample);
            }

            return samples;
        }

        /// <summary>All lines of one metric family are contiguous: a family never comes back after another began.</summary>
        private static void Enter(string name, ref string? current, HashSet<string> finished, string at)
        {
            if (name == current)
            {
                return;
            }

            if (finished.Contains(name))
            {
                throw new FormatException($"{at}: {name} appears again after other metrics");
            }

            if (current is not null)
            {
                finished.Add(current);
            }

            current = name;
        }

        private static Sample ParseSample(string line, string at)
        {
            var i = 0;
            while (i < line.Length && line[i] is not ('{' or ' '))
            {
                i++;
            }

            var name = line[..i];
            if (!MetricName().IsMatch(name))
            {
                throw new FormatException($"{at}: bad metric name '{name}'");
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (i < line.Length && line[i] == '{')
            {
                i++;
                while (true)
                {
                    if (i < line.Length && line[i] == '}')
                    {
                        i++;
                        break;
                    }

                    var eq = line.IndexOf('=', i);
                    if (eq < 0)
                    {
                        throw new FormatException($"{at}: label without '='");
                    }

                    var labelName = line[i..eq];
                    if (!LabelName().IsMatch(labelName) || labelName.StartsWith("__", StringComparison.Ordinal))
                    {
                        throw new FormatException($"{at}: bad label name '{labelName}'");
                    }

                    i = eq + 1;
                    if (i >= line.Length || line[i] != '"')
                    {
                        throw new FormatException($"{at}: label value of {labelName} not quoted");
                    }

                    i++;
                    var value = new StringBuilder();
                    while (true)
                    {
                        if (i >= line.Length)
                        {
                            throw new FormatException($"{at}: unterminated label value");
                        }

                        var c = line[i++];
                        if (c == '"')
                        {
                            break;
                        }

                        if (c == '\\')
                        {
                            if (i >= line.Length)
                            {
                                throw new FormatException($"{at}: dangling backslash");
                            }

                            value.Append(line[i++] switch
                            {
                                '\\' => '\\',
                                '"' => '"',
                                'n' => '\n',
                                var other => throw new FormatException($"{at}: invalid escape \\{other}"),
                            });
                        }
                        else
                        {
                            value.Append(c);
                        }
                    }

                    if (!labels.TryAdd(labelName, value.ToString()))
                    {
                        throw new FormatException($"{at}: label {labelName} repeated");
                    }

                    if (i < line.Length && line[i] == ',')
                    {
                        i++;
                    }
                    else if (i >= line.Length || line[i] != '}')
                    {
                        throw new FormatException($"{at}: expected ',' or '}}' after a label");
                    }
                }
            }

            if (i >= line.Length || line[i] != ' ')
            {
                throw new FormatException($"{at}: expected a space before the value");
            }

            var rest = line[(i + 1)..].Split(' ');
            if (rest.Length is < 1 or > 2)
            {
                throw new FormatException($"{at}: expected 'value [timestamp]'");
            }

            var number = rest[0] switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                var v => throw new FormatException($"{at}: value '{v}' is not a float"),
            };
            if (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                throw new FormatException($"{at}: timestamp '{rest[1]}' is not an integer");
            }

            return new Sample(name, labels, number);
        }
    }
}
