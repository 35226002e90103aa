using System.Text;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Sources;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace ProxClmc.Guard.Configuration;

/// <summary>
/// Turns proxclmc-guard.toml into a <see cref="GuardConfig"/>. Every problem is a <see cref="GuardConfigurationException"/>
/// whose message is one line, <c>path:line:column: message</c>, pointing at the key or value to fix.
/// Works on Tomlyn's syntax tree (no reflection, so NativeAOT-safe), which keeps the position of every key and value.
/// Which keys exist, and how each value is checked and stored, comes from the key table (<see cref="ConfigKeys"/>);
/// this class handles the TOML structure (sections, dotted keys, inline tables), unknown names and the rules that
/// involve two keys.
/// </summary>
internal static partial class GuardConfigLoader
{
    /// <summary>
    /// Reads and loads a configuration file. <paramref name="explicitPath"/> is the <c>--config</c> value: when given,
    /// the file must exist. When null, <see cref="GuardConfig.DefaultPath"/> is used, and a missing file there means
    /// defaults (a fresh node works without any configuration).
    /// </summary>
    public static GuardConfig LoadFile(string? explicitPath, IConfigFileReader? reader = null, Func<string, bool>? isKnownModel = null)
    {
        reader ??= ConfigFileReader.Instance;
        var path = explicitPath ?? GuardConfig.DefaultPath;
        var text = reader.ReadTextOrNull(path);
        if (text is null)
        {
            return explicitPath is null
                ? GuardConfig.Default
                : throw new GuardConfigurationException($"{path}: no such file");
        }

        return Load(text, path, isKnownModel);
    }

    /// <summary>
    /// Loads configuration text; <paramref name="path"/> names it in error messages. When <paramref name="isKnownModel"/>
    /// is given, <c>policy.baseline</c> and <c>fix.target</c> model names are checked with it (at their position in the file).
    /// </summary>
    public static GuardConfig Load(string text, string path, Func<string, bool>? isKnownModel = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        if (text.Length > InputLimits.MaxConfigBytes || (text.Length > InputLimits.MaxConfigBytes / 4 && Encoding.UTF8.GetByteCount(text) > InputLimits.MaxConfigBytes))
        {
            throw new GuardConfigurationException($"{path}: larger than {InputLimits.MaxConfigBytes} bytes, not a configuration file");
        }

        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, path, validate: true);
        }
        catch (TomlException e) when (e.Line is { } line && e.Column is { } column)
        {
            throw new GuardConfigurationException(new ParseError(path, line, column, OneLine(e.Message)).ToString(), e);
        }
        catch (TomlException e) when (e.Message.Contains("maximum depth", StringComparison.Ordinal))
        {
            // Tomlyn stops at 64 levels of nested arrays or inline tables, without a position.
            throw new GuardConfigurationException($"{path}: arrays or inline tables nested more than 64 levels deep", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The parser reports bad input as diagnostics; this only guards against a parser bug taking the hook down.
            throw new GuardConfigurationException($"{path}: not valid TOML: {OneLine(e.Message)}", e);
        }

        if (document.HasErrors)
        {
            foreach (var diagnostic in document.Diagnostics)
            {
                if (diagnostic.Kind == DiagnosticMessageKind.Error)
                {
                    throw Error(path, diagnostic.Span.Start, ParserMessage(diagnostic.Message));
                }
            }
        }

        RequireOneSpellingOfFailClosed(text, path);
        var builder = new Builder(path, isKnownModel);
        foreach (var keyValue in document.KeyValues)
        {
            builder.VisitKeyValue([], keyValue);
        }

        foreach (var table in document.Tables)
        {
            builder.VisitTable(table);
        }

        return builder.Build();
    }

    /// <summary>
    /// <c>[hook] fail_closed</c> is also read line by line, by the hook's fallback when the file does not load and by
    /// the shell hookscript when the binary dies: TOML's other spellings (a dotted <c>hook.fail_closed</c>, a quoted
    /// key, an inline table <c>hook = { ... }</c>) would be read as false there. Only the one form all three read
    /// alike is accepted.
    /// </summary>
    private static void RequireOneSpellingOfFailClosed(string text, string path)
    {
        var inHook = false;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            if (trimmed.StartsWith('#'))
            {
                continue;
            }

            if (trimmed.StartsWith('['))
            {
                inHook = HookSectionHeader.IsMatch(trimmed);
            }

            var hash = lines[i].IndexOf('#', StringComparison.Ordinal);
            var at = (hash < 0 ? lines[i] : lines[i][..hash]).IndexOf("fail_closed", StringComparison.Ordinal);
            if (at >= 0 && !(inHook && IsPlainFailClosedKey(trimmed)))
            {
                throw new GuardConfigurationException(new ParseError(path, i + 1, at + 1,
                    "write hook.fail_closed as 'fail_closed = true' (or false) on its own line under [hook]; the hookscript's fallbacks read only that form").ToString());
            }
        }
    }

    // The key itself at the start of its line; a value of the wrong type is the typed loader's to report.
    private static bool IsPlainFailClosedKey(string trimmed) =>
        trimmed.StartsWith("fail_closed", StringComparison.Ordinal) && trimmed[11..].TrimStart().StartsWith('=');

    internal static GuardConfigurationException Error(string path, TextPosition position, string message) =>
        new(new ParseError(path, position.Line + 1, position.Column + 1, message).ToString());

    /// <summary>Tomlyn's message, without the quoted copy of an earlier definition (which can be a whole section).</summary>
    private static string ParserMessage(string message)
    {
        var oneLine = OneLine(message);
        var redefinition = RedefinitionRegex().Match(oneLine);
        if (redefinition.Success)
        {
            oneLine = redefinition.Groups[1].Value + " and cannot be redefined";
        }

        return oneLine.Length > 200 ? oneLine[..200] + "..." : oneLine;
    }

    [GeneratedRegex(@"^(.* is already defined at \(\d+,\d+\)) with `.*` and cannot be redefined$", RegexOptions.Singleline)]
    private static partial Regex RedefinitionRegex();

    private static string OneLine(string message)
    {
        var sb = new StringBuilder(message.Length);
        foreach (var c in message)
        {
            sb.Append(char.IsControl(c) ? ' ' : c);
        }

        return sb.ToString().Trim();
    }

    /// <summary>The sections and their keys, in the order the documented file lists them (used for "did you mean").</summary>
    internal static IReadOnlyDictionary<string, string[]> Schema => ConfigKeys.Schema;

    internal static string? ClosestName(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(name, candidate);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }

        // A typo, a transposition or a wrong separator; beyond that a suggestion is noise.
        return best is not null && bestDistance <= Math.Max(2, best.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        a = a.ToLowerInvariant().Replace('-', '_');
        b = b.ToLowerInvariant();
        if (a.Length > 64)
        {
            return int.MaxValue;
        }

        return Configuration.EditDistance.Between(a, b);
    }

    private sealed class Builder(string path, Func<string, bool>? isKnownModel)
    {
        private GuardConfig _config = GuardConfig.Default;

        // Where keys that other keys depend on were set, for errors that involve two keys.
        private readonly Dictionary<string, TextPosition> _keyPositions = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TextPosition> _valuePositions = new(StringComparer.Ordinal);

        // [remote.<name>] sections: each read into a copy of the defaults of its own, with where its header was.
        private readonly Dictionary<string, (GuardConfig Config, TextPosition At)> _remotes = new(StringComparer.Ordinal);

        public GuardConfig Build()
        {
            BuildRemotes();
            CheckPair("api", "token_id", "token_secret_file");
            CheckPair("api", "username", "password_file");
            if (_config.Api.HasTokenAuth && _config.Api.HasPasswordAuth)
            {
                var at = Later("api.token_id", "api.username");
                throw Error(path, _keyPositions[at], "[api] set either token_id and token_secret_file, or username and password_file, not both");
            }

            if (_config.Facts.Source == FactsSourceMode.Api && !_config.Api.HasCredentials)
            {
                throw Error(path, _valuePositions["facts.source"], "[facts] source = \"api\" needs [api] token_id and token_secret_file (or username and password_file)");
            }

            return _config;
        }

        /// <summary>Each remote is described one way: its API (with a token and its own CA or a pin), or a folder.</summary>
        private void BuildRemotes()
        {
            var remotes = new List<RemoteSettings>();
            foreach (var (name, (config, at)) in _remotes)
            {
                var section = $"remote.{name}";
                var remote = config.Remote with { Name = name };
                CheckPair(section, "token_id", "token_secret_file");
                var ways = new[] { ("url", remote.Urls.Count > 0), ("pve_root", remote.PveRoot is not null), ("from", remote.From is not null) }.Where(w => w.Item2).Select(w => w.Item1).ToList();
                if (ways.Count == 0)
                {
                    throw Error(path, at, $"[{section}] describes no cluster: set url (with token_id, token_secret_file and ca_file or fingerprint), pve_root or from");
                }

                if (ways.Count > 1)
                {
                    var last = ways.MaxBy(w => _keyPositions[$"{section}.{w}"].Offset)!;
                    throw Error(path, _keyPositions[$"{section}.{last}"], $"[{section}] set one of url, pve_root or from, not {string.Join(" and ", ways)}");
                }

                if (ways[0] == "url" && remote.TokenId is null)
                {
                    throw Error(path, _keyPositions[$"{section}.url"], $"[{section}] url needs token_id and token_secret_file (an API token of that cluster)");
                }

                if (ways[0] == "url" && remote.CaFile is null && remote.Fingerprint is null)
                {
                    throw Error(path, _keyPositions[$"{section}.url"], $"[{section}] url needs ca_file or fingerprint: the other cluster's certificates are not signed by this cluster's CA");
                }

                if (ways[0] != "url" && _keyPositions.Keys.FirstOrDefault(k => k.StartsWith(section + ".", StringComparison.Ordinal) && k[(section.Length + 1)..] is "token_id" or "token_secret_file" or "ca_file" or "fingerprint") is { } stray)
                {
                    throw Error(path, _keyPositions[stray], $"[{section}] {stray[(section.Length + 1)..]} belongs to a cluster reached through url, not one read from {ways[0]}");
                }

                remotes.Add(remote);
            }

            if (remotes.Count > 0)
            {
                _config = _config with { Remotes = ConfigList.From(remotes) };
            }
        }

        private void CheckPair(string section, string first, string second)
        {
            var hasFirst = _keyPositions.TryGetValue($"{section}.{first}", out var firstAt);
            var hasSecond = _keyPositions.TryGetValue($"{section}.{second}", out var secondAt);
            if (hasFirst && !hasSecond)
            {
                throw Error(path, firstAt, $"[{section}] {first} is set but {second} is not: set both or neither");
            }

            if (hasSecond && !hasFirst)
            {
                throw Error(path, secondAt, $"[{section}] {second} is set but {first} is not: set both or neither");
            }
        }

        private string Later(string a, string b)
        {
            var pa = _keyPositions[a];
            var pb = _keyPositions[b];
            return pa.Offset >= pb.Offset ? a : b;
        }

        public void VisitTable(TableSyntaxBase table)
        {
            var name = KeyParts(table.Name);
            if (name.Count == 0)
            {
                return;
            }

            var (section, sectionAt) = name[0];
            if (!Schema.ContainsKey(section))
            {
                throw UnknownSection(section, sectionAt);
            }

            if (table is TableArraySyntax)
            {
                throw Error(path, sectionAt, $"[{section}] must be a table ([{section}]), not an array of tables ([[{section}]])");
            }

            if (section == ConfigKeys.Remote)
            {
                if (name.Count == 2)
                {
                    RemoteNamed(name[1]);
                }
                else if (name.Count > 2)
                {
                    var (key, keyAt) = name[2];
                    throw ConfigKeys.Find(section, key) is { } remoteKey
                        ? Error(path, keyAt, $"[remote.{name[1].Name}] {key} must be {remoteKey.Type}, got table")
                        : Error(path, keyAt, $"[remote.<name>] takes keys, not a table ([{string.Join('.', name.Select(n => n.Name))}])");
                }

                foreach (var keyValue in table.Items)
                {
                    VisitKeyValue(name, keyValue);
                }

                return;
            }

            if (name.Count > 1)
            {
                var (key, keyAt) = name[1];
                throw ConfigKeys.Find(section, key) is { } configKey
                    ? Error(path, keyAt, $"[{section}] {key} must be {configKey.Type}, got table")
                    : UnknownKey(section, key, keyAt);
            }

            foreach (var keyValue in table.Items)
            {
                VisitKeyValue(name, keyValue);
            }
        }

        public void VisitKeyValue(IReadOnlyList<(string Name, TextPosition At)> prefix, KeyValueSyntax keyValue)
        {
            if (keyValue.Value is null)
            {
                return;
            }

            var fullKey = new List<(string Name, TextPosition At)>(prefix);
            fullKey.AddRange(KeyParts(keyValue.Key));
            Visit(fullKey, keyValue.Value);
        }

        private void Visit(List<(string Name, TextPosition At)> key, ValueSyntax value)
        {
            if (key.Count == 0)
            {
                return;
            }

            var (section, sectionAt) = key[0];
            if (!Schema.ContainsKey(section))
            {
                var isKeyName = Schema.Values.Any(keys => keys.Contains(section, StringComparer.Ordinal));
                if (key.Count == 1 && (isKeyName || ClosestName(section, Schema.Keys) is null))
                {
                    // A key outside any section: name the key, not a "section".
                    var closestKey = ClosestName(section, Schema.Values.SelectMany(k => k));
                    var homes = closestKey is null ? "" : string.Join(" or ", Schema.Where(s => s.Value.Contains(closestKey, StringComparer.Ordinal)).Select(s => $"[{s.Key}]"));
                    var hint = closestKey is null ? ""
                        : closestKey == section ? $" ('{closestKey}' belongs in {homes})"
                        : $" (did you mean '{closestKey}' in {homes}?)";
                    throw Error(path, sectionAt, $"key '{section}' is outside any section; keys belong in a section such as [cluster]{hint}");
                }

                throw UnknownSection(section, sectionAt);
            }

            if (section == ConfigKeys.Remote)
            {
                VisitRemote(key, value);
                return;
            }

            if (key.Count == 1)
            {
                if (value is InlineTableSyntax inline)
                {
                    foreach (var item in inline.Items)
                    {
                        if (item.KeyValue is { } kv)
                        {
                            VisitKeyValue(key, kv);
                        }
                    }

                    return;
                }

                throw Error(path, sectionAt, $"'{section}' must be a section ([{section}]), got {TypeName(value)}");
            }

            var (name, keyAt) = key[1];
            if (ConfigKeys.Find(section, name) is not { } configKey)
            {
                throw UnknownKey(section, name, keyAt);
            }

            if (key.Count > 2)
            {
                throw Error(path, keyAt, $"[{section}] {name} must be {configKey.Type}, got table");
            }

            _keyPositions[$"{section}.{name}"] = keyAt;
            _valuePositions[$"{section}.{name}"] = value.Span.Start;
            _config = configKey.Apply(new ConfigValue(path, configKey, value, isKnownModel), _config);
        }

        /// <summary>remote.&lt;name&gt;.&lt;key&gt; = value, however the TOML spells it (a table, dotted keys, inline tables).</summary>
        private void VisitRemote(List<(string Name, TextPosition At)> key, ValueSyntax value)
        {
            if (key.Count <= 2)
            {
                if (key.Count == 2)
                {
                    RemoteNamed(key[1]);
                }

                if (value is not InlineTableSyntax inline)
                {
                    throw Error(path, key[^1].At, $"'{string.Join('.', key.Select(k => k.Name))}' must be a section ([remote.<name>]), got {TypeName(value)}");
                }

                foreach (var item in inline.Items)
                {
                    if (item.KeyValue is { } kv)
                    {
                        VisitKeyValue(key, kv);
                    }
                }

                return;
            }

            RemoteNamed(key[1]);
            var remote = key[1].Name;
            var (name, keyAt) = key[2];
            var section = $"remote.{remote}";
            if (ConfigKeys.Find(ConfigKeys.Remote, name) is not { } configKey)
            {
                var closest = ClosestName(name, Schema[ConfigKeys.Remote]);
                var hint = closest is not null ? $" (did you mean '{closest}'?)" : " (known keys: " + string.Join(", ", Schema[ConfigKeys.Remote]) + ")";
                throw Error(path, keyAt, $"unknown key '{Shorten(name)}' in [{section}]{hint}");
            }

            if (key.Count > 3)
            {
                throw Error(path, keyAt, $"[{section}] {name} must be {configKey.Type}, got table");
            }

            _keyPositions[$"{section}.{name}"] = keyAt;
            _valuePositions[$"{section}.{name}"] = value.Span.Start;
            var (config, at) = _remotes[remote];
            _remotes[remote] = (configKey.Apply(new ConfigValue(path, configKey, value, isKnownModel), config), at);
        }

        private void RemoteNamed((string Name, TextPosition At) name)
        {
            if (!ConfigKeys.RemoteNameRegex().IsMatch(name.Name))
            {
                throw Error(path, name.At, $"[remote.{Shorten(name.Name)}]: a remote's name is what --to-cluster takes: letters, digits, '-' and '_' (up to 63)");
            }

            if (!_remotes.ContainsKey(name.Name))
            {
                _remotes[name.Name] = (GuardConfig.Default, name.At);
            }
        }

        private GuardConfigurationException UnknownSection(string section, TextPosition at)
        {
            var closest = ClosestName(section, Schema.Keys);
            var hint = closest is not null
                ? $" (did you mean [{closest}]?)"
                : " (known sections: " + string.Join(", ", Schema.Keys.Select(s => $"[{ConfigKeys.Heading(s)}]")) + ")";
            return Error(path, at, $"unknown section [{Shorten(section)}]{hint}");
        }

        private GuardConfigurationException UnknownKey(string section, string key, TextPosition at)
        {
            var closest = ClosestName(key, Schema[section]);
            var hint = closest is not null
                ? $" (did you mean '{closest}'?)"
                : " (known keys: " + string.Join(", ", Schema[section]) + ")";
            return Error(path, at, $"unknown key '{Shorten(key)}' in [{section}]{hint}");
        }

        private static List<(string Name, TextPosition At)> KeyParts(KeySyntax? key)
        {
            var parts = new List<(string Name, TextPosition At)>();
            if (key?.Key is { } first)
            {
                parts.Add((KeyName(first), first.Span.Start));
            }

            if (key?.DotKeys is { } dots)
            {
                foreach (var dot in dots)
                {
                    if (dot.Key is { } part)
                    {
                        parts.Add((KeyName(part), part.Span.Start));
                    }
                }
            }

            return parts;
        }

        private static string KeyName(BareKeyOrStringValueSyntax key) => key switch
        {
            BareKeySyntax bare => bare.Key?.Text ?? "",
            StringValueSyntax quoted => quoted.Value ?? "",
            _ => "",
        };
    }

    internal static string TypeName(ValueSyntax value) => value switch
    {
        StringValueSyntax => "string",
        IntegerValueSyntax => "integer",
        FloatValueSyntax => "float",
        BooleanValueSyntax => "boolean",
        DateTimeValueSyntax => "date-time",
        ArraySyntax => "array",
        InlineTableSyntax => "table",
        _ => "an unsupported value",
    };

    private static string Shorten(string s) => s.Length > 64 ? OneLine(s[..64]) + "..." : OneLine(s);

    internal static string Quote(string s) => "'" + Shorten(s) + "'";
}
