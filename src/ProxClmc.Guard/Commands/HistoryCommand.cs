using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.History;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Compliance;
using ProxClmc.Guard.Core.History;
using ProxClmc.Guard.Rendering;

namespace ProxClmc.Guard.Commands;

/// <summary>
/// <c>history [--since 7d] [--state FILE]</c>: the changes of the cluster's CPU the scans recorded (the last
/// <see cref="ClusterState.MaxHistory"/>), newest first (<see cref="HistoryReading"/>). Reads the state file only; never writes it.
/// </summary>
public static class HistoryCommand
{
    public static Command Create(GuardCli cli)
    {
        var since = new Option<string>("--since")
        {
            Description = "Only changes found within this time: 30m, 12h, 7d, 2w, or a date (2026-11-20)",
            HelpName = "age",
        };
        var state = new Option<string>("--state")
        {
            Description = "The state file to read (default: [history] state_file, else <pve_root>/proxclmc-guard/state.json)",
            HelpName = "file",
        };
        var command = new Command("history", "List the recorded changes of the cluster's CPU (flags, levels, nodes, verdicts), newest first");
        command.Options.Add(since);
        command.Options.Add(state);
        command.SetAction((parse, ct) => cli.RunAsync(parse, ctx => Task.FromResult(Execute(ctx, parse.GetValue(since), parse.GetValue(state)))));
        return command;
    }

    public static int Execute(CommandContext ctx, string? since, string? stateFile)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (ctx.Settings.Format == OutputFormat.Prometheus)
        {
            throw new UsageException("history --format prometheus: the history has no metrics (scan writes proxclmc_guard_changes); use table or json");
        }

        var now = ctx.Environment.Clock.GetUtcNow();
        var from = since is null ? (DateTimeOffset?)null : ParseSince(since, now);
        var read = CompositionRoot.History(ctx).Read(new HistoryRequest(stateFile, from));
        if (read.Problem is { } problem)
        {
            ctx.Log.Warning("{Warning}", $"cluster CPU state not usable: {problem}");
        }

        var (path, changes) = (read.Path, read.Changes);
        if (ctx.Settings.Format == OutputFormat.Json)
        {
            WriteJson(ctx.Out, path, from, read.RecordedAt, changes, now);
            return ExitCodes.Ok;
        }

        var window = from is { } f ? $" since {TableRenderer.Time(f)}" : "";
        if (changes.Count == 0)
        {
            ctx.Out.WriteLine(Names.Visible(!read.HasState && read.Problem is null
                ? $"No changes recorded yet: {path} does not exist (each scan records the cluster's CPU there)"
                : $"No changes of the cluster's CPU recorded{window} in {path}"));
            return ExitCodes.Ok;
        }

        ctx.Out.WriteLine(Names.Visible($"Changes of the cluster's CPU{window}, newest first (recorded in {path}):"));
        ctx.Out.WriteLine();
        foreach (var change in changes)
        {
            ctx.WriteRow($"  {TableRenderer.Time(change.At)}  {(change.IsLoss ? '!' : '-')} {change.Kind,-22} {change.Describe()}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>30m, 12h, 7d, 2w back from <paramref name="now"/>, or a date (yyyy-MM-dd, UTC midnight).</summary>
    public static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length >= 2 && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count <= 100_000)
        {
            TimeSpan? unit = text[^1] switch
            {
                'm' => TimeSpan.FromMinutes(1),
                'h' => TimeSpan.FromHours(1),
                'd' => TimeSpan.FromDays(1),
                'w' => TimeSpan.FromDays(7),
                _ => null,
            };
            if (unit is { } u)
            {
                return now - (u * count);
            }
        }

        return DateTimeOffset.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            ? date
            : throw new UsageException($"--since {text}: expected an age such as 30m, 12h, 7d or 2w, or a date such as 2026-11-20");
    }

    private static void WriteJson(TextWriter output, string path, DateTimeOffset? since, DateTimeOffset? recordedAt, IReadOnlyList<CpuChange> changes, DateTimeOffset now)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", JsonReport.SchemaVersion);
            json.WriteString("tool", "proxclmc-guard");
            json.WriteString("generatedAt", ClusterStateJson.Time(now));
            json.WriteString("stateFile", path);
            Nullable(json, "lastScan", recordedAt);
            Nullable(json, "since", since);
            json.WriteStartArray("changes");
            foreach (var change in changes)
            {
                ClusterStateJson.WriteChange(json, change, withTime: true);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        output.Write('\n');
    }

    private static void Nullable(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            json.WriteString(name, ClusterStateJson.Time(v));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
