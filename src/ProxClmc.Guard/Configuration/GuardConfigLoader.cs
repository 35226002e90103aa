using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
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
/// </summary>
public static partial class GuardConfigLoader
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
    internal static readonly IReadOnlyDictionary<string, string[]> Schema = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["cluster"] = ["corosync_conf", "pve_root", "local_node"],
        ["facts"] = ["source", "local_cpuinfo", "qemu_binary", "cache_file", "max_age_seconds"],
        ["ssh"] = ["user", "port", "identity_file", "known_hosts", "connect_timeout_seconds", "command_timeout_seconds", "parallelism"],
        ["api"] = ["url", "token_id", "token_secret_file", "username", "password_file", "ca_file", "fingerprint", "insecure_skip_verify", "timeout_seconds", "parallelism", "proxy"],
        ["policy"] = ["baseline", "strict_vendor", "ignore_tags", "ignore_vmids", "host_cpu"],
        ["fix"] = ["target", "strategy", "include_running", "undo_dir", "plan_max_age_seconds"],
        ["daemon"] = ["interval_seconds"],
        ["report"] = ["json_file", "prometheus_textfile"],
        ["hook"] = ["block_unsafe_start", "fail_closed", "chain"],
    };

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

        return Cli.CommandLineErrors.Distance(a, b);
    }

    // Proxmox node names: pve-node format (a host name label).
    [GeneratedRegex("^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")]
    private static partial Regex NodeNameRegex();

    // Proxmox's tag format (PVE::JSONSchema pve-tag).
    [GeneratedRegex("^[a-zA-Z0-9_][a-zA-Z0-9_+.-]*$")]
    private static partial Regex TagRegex();

    // CPU model names as qemu-server accepts them, including custom-<name>.
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$")]
    private static partial Regex ModelNameRegex();

    // user@realm, as Proxmox writes user ids.
    [GeneratedRegex(@"^[^\s:/@!]+@[A-Za-z][A-Za-z0-9.\-_]*$")]
    private static partial Regex UserIdRegex();

    // user@realm!tokenname.
    [GeneratedRegex(@"^[^\s:/@!]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*$")]
    private static partial Regex TokenIdRegex();

    // A snippet volume id as PVE writes it in hookscript: (storage:snippets/file).
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9\-_.]*:snippets/[^/\s]+$")]
    private static partial Regex SnippetVolumeRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]*[$]?$")]
    private static partial Regex UnixUserRegex();

    private sealed class Builder(string path, Func<string, bool>? isKnownModel)
    {
        private ClusterSettings _cluster = new();
        private FactsSettings _facts = new();
        private SshSettings _ssh = new();
        private ApiSettings _api = new();
        private PolicySettings _policy = new();
        private FixSettings _fix = new();
        private DaemonSettings _daemon = new();
        private ReportSettings _report = new();
        private HookSettings _hook = new();

        // Where keys that other keys depend on were set, for errors that involve two keys.
        private readonly Dictionary<string, TextPosition> _keyPositions = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TextPosition> _valuePositions = new(StringComparer.Ordinal);

        public GuardConfig Build()
        {
            CheckPair("api", "token_id", "token_secret_file");
            CheckPair("api", "username", "password_file");
            if (_api.HasTokenAuth && _api.HasPasswordAuth)
            {
                var at = Later("api.token_id", "api.username");
                throw Error(path, _keyPositions[at], "[api] set either token_id and token_secret_file, or username and password_file, not both");
            }

            if (_facts.Source == FactsSourceMode.Api && !_api.HasCredentials)
            {
                throw Error(path, _valuePositions["facts.source"], "[facts] source = \"api\" needs [api] token_id and token_secret_file (or username and password_file)");
            }

            return new GuardConfig
            {
                Cluster = _cluster,
                Facts = _facts,
                Ssh = _ssh,
                Api = _api,
                Policy = _policy,
                Fix = _fix,
                Daemon = _daemon,
                Report = _report,
                Hook = _hook,
            };
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

            if (name.Count > 1)
            {
                var (key, keyAt) = name[1];
                if (!Schema[section].Contains(key, StringComparer.Ordinal))
                {
                    throw UnknownKey(section, key, keyAt);
                }

                throw Error(path, keyAt, $"[{section}] {key} must be {ExpectedType(section, key)}, got table");
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
            if (!Schema.TryGetValue(section, out var sectionKeys))
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
            if (!sectionKeys.Contains(name, StringComparer.Ordinal))
            {
                throw UnknownKey(section, name, keyAt);
            }

            if (key.Count > 2)
            {
                throw Error(path, keyAt, $"[{section}] {name} must be {ExpectedType(section, name)}, got table");
            }

            _keyPositions[$"{section}.{name}"] = keyAt;
            _valuePositions[$"{section}.{name}"] = value.Span.Start;
            Assign(section, name, value);
        }

        private GuardConfigurationException UnknownSection(string section, TextPosition at)
        {
            var closest = ClosestName(section, Schema.Keys);
            var hint = closest is not null
                ? $" (did you mean [{closest}]?)"
                : " (known sections: " + string.Join(", ", Schema.Keys.Select(s => $"[{s}]")) + ")";
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

        private void Assign(string section, string key, ValueSyntax value)
        {
            switch (section, key)
            {
                case ("cluster", "corosync_conf"):
                    _cluster = _cluster with { CorosyncConf = AbsolutePath(section, key, value) };
                    break;
                case ("cluster", "pve_root"):
                    _cluster = _cluster with { PveRoot = AbsolutePath(section, key, value) };
                    break;
                case ("cluster", "local_node"):
                    var node = NonEmptyString(section, key, value);
                    if (!NodeNameRegex().IsMatch(node))
                    {
                        throw Bad(value, $"[cluster] local_node must be a Proxmox node name (letters, digits and '-'), got {Quote(node)}");
                    }

                    _cluster = _cluster with { LocalNode = node };
                    break;

                case ("facts", "source"):
                    _facts = _facts with
                    {
                        Source = OneOf(section, key, value, ["auto", "ssh", "api", "local"]) switch
                        {
                            "ssh" => FactsSourceMode.Ssh,
                            "api" => FactsSourceMode.Api,
                            "local" => FactsSourceMode.Local,
                            _ => FactsSourceMode.Auto,
                        },
                    };
                    break;
                case ("facts", "local_cpuinfo"):
                    _facts = _facts with { LocalCpuinfo = AbsolutePath(section, key, value) };
                    break;
                case ("facts", "qemu_binary"):
                    _facts = _facts with { QemuBinary = AbsolutePath(section, key, value) };
                    break;
                case ("facts", "cache_file"):
                    _facts = _facts with { CacheFile = AbsolutePath(section, key, value) };
                    break;
                case ("facts", "max_age_seconds"):
                    _facts = _facts with { MaxAgeSeconds = Integer(section, key, value, 0, 366 * 86400) };
                    break;

                case ("ssh", "user"):
                    var user = NonEmptyString(section, key, value);
                    if (!UnixUserRegex().IsMatch(user))
                    {
                        throw Bad(value, $"[ssh] user must be a Unix user name, got {Quote(user)}");
                    }

                    _ssh = _ssh with { User = user };
                    break;
                case ("ssh", "port"):
                    _ssh = _ssh with { Port = Integer(section, key, value, 1, 65535) };
                    break;
                case ("ssh", "identity_file"):
                    _ssh = _ssh with { IdentityFile = AbsolutePath(section, key, value) };
                    break;
                case ("ssh", "known_hosts"):
                    _ssh = _ssh with { KnownHosts = StringList(section, key, value, allowSingle: false, (item, text) => RequireAbsolute(section, key, item, text), atLeastOne: "file") };
                    break;
                case ("ssh", "connect_timeout_seconds"):
                    _ssh = _ssh with { ConnectTimeoutSeconds = Integer(section, key, value, 1, 86400) };
                    break;
                case ("ssh", "command_timeout_seconds"):
                    _ssh = _ssh with { CommandTimeoutSeconds = Integer(section, key, value, 1, 86400) };
                    break;
                case ("ssh", "parallelism"):
                    _ssh = _ssh with { Parallelism = Integer(section, key, value, 1, 256) };
                    break;

                case ("api", "url"):
                    var urls = StringList(section, key, value, allowSingle: true, (item, text) => CheckUrl(item, text), atLeastOne: "address");
                    _api = _api with { Urls = ConfigList.From(urls.Select(u => new Uri(u, UriKind.Absolute))) };
                    break;
                case ("api", "token_id"):
                    var tokenId = NonEmptyString(section, key, value);
                    if (!TokenIdRegex().IsMatch(tokenId))
                    {
                        throw Bad(value, $"[api] token_id must look like 'user@realm!tokenname', got {Quote(tokenId)}");
                    }

                    _api = _api with { TokenId = tokenId };
                    break;
                case ("api", "token_secret_file"):
                    _api = _api with { TokenSecretFile = AbsolutePath(section, key, value) };
                    break;
                case ("api", "username"):
                    var username = NonEmptyString(section, key, value);
                    if (!UserIdRegex().IsMatch(username))
                    {
                        throw Bad(value, $"[api] username must look like 'user@realm' (for example 'root@pam'), got {Quote(username)}");
                    }

                    _api = _api with { Username = username };
                    break;
                case ("api", "password_file"):
                    _api = _api with { PasswordFile = AbsolutePath(section, key, value) };
                    break;
                case ("api", "ca_file"):
                    _api = _api with { CaFile = AbsolutePath(section, key, value) };
                    break;
                case ("api", "fingerprint"):
                    _api = _api with { Fingerprint = Fingerprint(value, NonEmptyString(section, key, value)) };
                    break;
                case ("api", "proxy"):
                    var proxy = NonEmptyString(section, key, value);
                    if (!Uri.TryCreate(proxy, UriKind.Absolute, out var proxyUri) || proxyUri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(proxyUri.Host) || !string.IsNullOrEmpty(proxyUri.UserInfo))
                    {
                        throw Bad(value, $"[api] proxy must be an http:// or https:// URL without credentials, such as 'http://proxy.example:3128', got {Quote(proxy)}");
                    }

                    _api = _api with { Proxy = proxyUri };
                    break;
                case ("api", "insecure_skip_verify"):
                    _api = _api with { InsecureSkipVerify = Boolean(section, key, value) };
                    break;
                case ("api", "timeout_seconds"):
                    _api = _api with { TimeoutSeconds = Integer(section, key, value, 1, 86400) };
                    break;
                case ("api", "parallelism"):
                    _api = _api with { Parallelism = Integer(section, key, value, 1, 256) };
                    break;

                case ("policy", "baseline"):
                    _policy = _policy with { Baseline = ModelOrKeyword(section, key, value, ["auto"]) };
                    break;
                case ("policy", "strict_vendor"):
                    _policy = _policy with { StrictVendor = Boolean(section, key, value) };
                    break;
                case ("policy", "ignore_tags"):
                    _policy = _policy with
                    {
                        IgnoreTags = StringList(section, key, value, allowSingle: false, (item, tag) =>
                        {
                            if (!TagRegex().IsMatch(tag))
                            {
                                throw Bad(item, $"[policy] ignore_tags: {Quote(tag)} is not a Proxmox tag (letters, digits, '_', '-', '+', '.')");
                            }
                        }),
                    };
                    break;
                case ("policy", "ignore_vmids"):
                    _policy = _policy with { IgnoreVmIds = VmIdList(value) };
                    break;
                case ("policy", "host_cpu"):
                    _policy = _policy with
                    {
                        HostCpu = OneOf(section, key, value, ["unsafe", "allow-identical"]) == "unsafe" ? HostCpuPolicy.Unsafe : HostCpuPolicy.AllowIdentical,
                    };
                    break;

                case ("fix", "target"):
                    _fix = _fix with { Target = ModelOrKeyword(section, key, value, ["level", "named"]) };
                    break;
                case ("fix", "strategy"):
                    _fix = _fix with { Strategy = OneOf(section, key, value, ["cpu", "placement"]) };
                    break;
                case ("fix", "include_running"):
                    _fix = _fix with { IncludeRunning = Boolean(section, key, value) };
                    break;
                case ("fix", "undo_dir"):
                    _fix = _fix with { UndoDir = AbsolutePath(section, key, value) };
                    break;
                case ("fix", "plan_max_age_seconds"):
                    _fix = _fix with { PlanMaxAgeSeconds = Integer(section, key, value, 60, 7 * 86400) };
                    break;

                case ("daemon", "interval_seconds"):
                    _daemon = _daemon with { IntervalSeconds = Integer(section, key, value, 60, 7 * 86400) };
                    break;

                case ("report", "json_file"):
                    _report = _report with { JsonFile = OptionalAbsolutePath(section, key, value) };
                    break;
                case ("report", "prometheus_textfile"):
                    var prom = OptionalAbsolutePath(section, key, value);
                    if (prom is not null && !prom.EndsWith(".prom", StringComparison.Ordinal))
                    {
                        throw Bad(value, $"[report] prometheus_textfile must end in .prom (node_exporter's textfile collector reads only *.prom), got {Quote(prom)}");
                    }

                    _report = _report with { PrometheusTextfile = prom };
                    break;

                case ("hook", "block_unsafe_start"):
                    _hook = _hook with { BlockUnsafeStart = Boolean(section, key, value) };
                    break;
                case ("hook", "fail_closed"):
                    _hook = _hook with { FailClosed = Boolean(section, key, value) };
                    break;
                case ("hook", "chain"):
                    var chain = NonEmptyString(section, key, value);
                    if (!chain.StartsWith('/') && !SnippetVolumeRegex().IsMatch(chain))
                    {
                        throw Bad(value, $"[hook] chain must be an absolute path or a snippet volume such as 'local:snippets/hook.pl', got {Quote(chain)}");
                    }

                    _hook = _hook with { Chain = chain };
                    break;
            }
        }

        private static string ExpectedType(string section, string key) => (section, key) switch
        {
            ("ssh", "port" or "connect_timeout_seconds" or "command_timeout_seconds" or "parallelism") => "an integer",
            ("api", "timeout_seconds" or "parallelism") => "an integer",
            ("facts", "max_age_seconds") or ("daemon", "interval_seconds") or ("fix", "plan_max_age_seconds") => "an integer",
            ("api", "insecure_skip_verify") or ("policy", "strict_vendor") or ("fix", "include_running") => "a boolean",
            ("hook", "block_unsafe_start" or "fail_closed") => "a boolean",
            ("ssh", "known_hosts") or ("policy", "ignore_tags") => "an array of strings",
            ("policy", "ignore_vmids") => "an array of integers",
            ("api", "url") => "a string or an array of strings",
            _ => "a string",
        };

        private GuardConfigurationException Bad(SyntaxNodeBase at, string message) => Error(path, at.Span.Start, message);

        private GuardConfigurationException WrongType(string section, string key, ValueSyntax value) =>
            Bad(value, $"[{section}] {key} must be {ExpectedType(section, key)}, got {TypeName(value)}");

        private string String(string section, string key, ValueSyntax value) =>
            value is StringValueSyntax { Value: { } s } ? s : throw WrongType(section, key, value);

        private string NonEmptyString(string section, string key, ValueSyntax value)
        {
            var s = String(section, key, value);
            return s.Length == 0
                ? throw Bad(value, $"[{section}] {key} must not be empty (comment the line out to use the default)")
                : s;
        }

        private string AbsolutePath(string section, string key, ValueSyntax value)
        {
            var s = NonEmptyString(section, key, value);
            RequireAbsolute(section, key, value, s);
            return s;
        }

        /// <summary>An empty string turns the output off.</summary>
        private string? OptionalAbsolutePath(string section, string key, ValueSyntax value)
        {
            var s = String(section, key, value);
            if (s.Length == 0)
            {
                return null;
            }

            RequireAbsolute(section, key, value, s);
            return s;
        }

        // The tool runs from systemd, cron and a hookscript whose working directory is not the administrator's:
        // a relative path would silently point somewhere else, so only absolute paths are accepted.
        private void RequireAbsolute(string section, string key, SyntaxNodeBase at, string s)
        {
            if (!s.StartsWith('/'))
            {
                throw Bad(at, $"[{section}] {key} must be an absolute path, got {Quote(s)}");
            }

            if (s.Contains('\0'))
            {
                throw Bad(at, $"[{section}] {key} must not contain a NUL character");
            }
        }

        private int Integer(string section, string key, ValueSyntax value, int min, int max)
        {
            if (value is not IntegerValueSyntax integer)
            {
                throw WrongType(section, key, value);
            }

            var n = integer.Value;
            if (n < min || n > max)
            {
                throw Bad(value, $"[{section}] {key} must be between {min} and {max}, got {n.ToString(CultureInfo.InvariantCulture)}");
            }

            return (int)n;
        }

        private bool Boolean(string section, string key, ValueSyntax value) =>
            value is BooleanValueSyntax b ? b.Value : throw WrongType(section, key, value);

        private string OneOf(string section, string key, ValueSyntax value, string[] allowed)
        {
            var s = String(section, key, value);
            if (allowed.Contains(s, StringComparer.Ordinal))
            {
                return s;
            }

            var closest = ClosestName(s, allowed);
            var hint = closest is not null ? $" (did you mean \"{closest}\"?)" : "";
            throw Bad(value, $"[{section}] {key} must be one of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")) + $", got {Quote(s)}{hint}");
        }

        private string ModelOrKeyword(string section, string key, ValueSyntax value, string[] keywords)
        {
            var s = String(section, key, value);
            var keyword = keywords.FirstOrDefault(k => string.Equals(k, s, StringComparison.OrdinalIgnoreCase));
            if (keyword is not null)
            {
                return keyword;
            }

            var choices = string.Join(", ", keywords.Select(k => $"\"{k}\""));
            if (s.Length == 0)
            {
                throw Bad(value, $"[{section}] {key} must be {choices} or a CPU model name, got \"\"");
            }

            if (s is "host" or "max")
            {
                throw Bad(value, $"[{section}] {key} cannot be \"{s}\": it passes the node's own CPU through and is not portable between nodes");
            }

            if (!ModelNameRegex().IsMatch(s))
            {
                throw Bad(value, $"[{section}] {key} must be {choices} or a CPU model name such as \"x86-64-v3\", got {Quote(s)}");
            }

            if (isKnownModel is not null && !isKnownModel(s))
            {
                throw Bad(value, $"[{section}] {key} {Quote(s)} is not a CPU model Proxmox knows");
            }

            return s;
        }

        private ConfigList<string> StringList(string section, string key, ValueSyntax value, bool allowSingle, Action<ValueSyntax, string> check, string? atLeastOne = null)
        {
            if (allowSingle && value is StringValueSyntax)
            {
                var single = NonEmptyString(section, key, value);
                check(value, single);
                return [single];
            }

            if (value is not ArraySyntax array)
            {
                throw WrongType(section, key, value);
            }

            var items = new List<string>();
            foreach (var item in array.Items)
            {
                if (item.Value is not { } itemValue)
                {
                    continue;
                }

                if (itemValue is not StringValueSyntax { Value: { } s })
                {
                    throw Bad(itemValue, $"[{section}] {key} must be {ExpectedType(section, key)}, got an array containing {TypeName(itemValue)}");
                }

                if (s.Length == 0)
                {
                    throw Bad(itemValue, $"[{section}] {key} must not contain an empty string");
                }

                check(itemValue, s);
                items.Add(s);
            }

            if (atLeastOne is not null && items.Count == 0)
            {
                throw Bad(value, $"[{section}] {key} must name at least one {atLeastOne} (comment the line out to use the default)");
            }

            return ConfigList.From(items);
        }

        private ConfigList<int> VmIdList(ValueSyntax value)
        {
            if (value is not ArraySyntax array)
            {
                throw WrongType("policy", "ignore_vmids", value);
            }

            var ids = new List<int>();
            foreach (var item in array.Items)
            {
                if (item.Value is not { } itemValue)
                {
                    continue;
                }

                if (itemValue is not IntegerValueSyntax integer)
                {
                    throw Bad(itemValue, $"[policy] ignore_vmids must be an array of integers, got an array containing {TypeName(itemValue)}");
                }

                // Proxmox VM ids run from 100 to 999999999.
                if (integer.Value is < 100 or > 999_999_999)
                {
                    throw Bad(itemValue, $"[policy] ignore_vmids: {integer.Value.ToString(CultureInfo.InvariantCulture)} is not a Proxmox VM id (100 to 999999999)");
                }

                ids.Add((int)integer.Value);
            }

            return ConfigList.From(ids);
        }

        private void CheckUrl(ValueSyntax at, string text)
        {
            if (!text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                throw Bad(at, $"[api] url must start with https:// (the Proxmox API only answers on HTTPS, port 8006), got {Quote(text)}");
            }

            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
            {
                throw Bad(at, $"[api] url must be an address such as \"https://pve1.example.com:8006\", got {Quote(text)}");
            }
        }

        private string Fingerprint(ValueSyntax at, string text)
        {
            var hex = text.Replace(":", "", StringComparison.Ordinal);
            if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit) || (text.Contains(':') && text.Length != 95))
            {
                throw Bad(at, $"[api] fingerprint must be a SHA-256 certificate fingerprint (64 hex digits, optionally in ':'-separated pairs), got {Quote(text)}");
            }

            hex = hex.ToUpperInvariant();
            return string.Join(':', Enumerable.Range(0, 32).Select(i => hex.Substring(i * 2, 2)));
        }

        private static string TypeName(ValueSyntax value) => value switch
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

    private static string Shorten(string s) => s.Length > 64 ? OneLine(s[..64]) + "..." : OneLine(s);

    private static string Quote(string s) => "'" + Shorten(s) + "'";
}
