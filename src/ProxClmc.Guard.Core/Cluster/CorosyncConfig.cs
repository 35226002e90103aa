using System.Globalization;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Core.Cluster;

/// <summary>corosync.conf as Proxmox's own parser reads it (pve-cluster's Corosync.pm).</summary>
/// <remarks>
/// Proxmox does not use corosync's parser: it drops everything after <c>#</c>, splits the rest on whitespace and
/// walks the tokens. So a value is exactly one token (<c>exec_ls: /usr/bin/test -f x</c> is an error for Proxmox,
/// "missing ':' after key '-f'"), <c>{</c> and <c>}</c> must stand alone, and only <c>node</c> and <c>interface</c>
/// may repeat. We follow it token for token, and are stricter only where Proxmox silently produces a broken
/// view: unclosed sections, duplicate node names, a node with neither name nor ring0_addr, link numbers over 7.
/// </remarks>
public static class CorosyncConfig
{
    /// <summary>corosync supports at most 8 knet links (link0..link7); Corosync.pm's MAX_LINK_INDEX.</summary>
    public const int MaxLinkNumber = 7;

    private readonly record struct Token(string Text, int Line, int Column);

    private sealed class Section(string name, Token at)
    {
        public string Name { get; } = name;

        public Token At { get; } = at;

        public Dictionary<string, (Token Key, Token Value)> Values { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Section> Children { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, List<Section>> Lists { get; } = new(StringComparer.Ordinal);
    }

    public static ParseResult<ClusterMembership> Parse(string text, string source = "corosync.conf")
    {
        ArgumentNullException.ThrowIfNull(text);
        source ??= "corosync.conf";
        if (text.Length > InputLimits.MaxPmxcfsFileBytes)
        {
            return ParseResult<ClusterMembership>.Fail(source, 0, 0,
                $"file is larger than pmxcfs allows ({InputLimits.MaxPmxcfsFileBytes} bytes)");
        }

        var tokens = Tokenize(text);
        if (tokens.Count == 0)
        {
            return ParseResult<ClusterMembership>.Fail(source, 0, 0, "no nodelist: the file is empty or only comments");
        }

        var root = new Section("", new Token("", 0, 0));
        var stack = new Stack<Section>();
        var section = root;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var next = i + 1 < tokens.Count ? tokens[i + 1] : (Token?)null;
            if (next is { Text: "{" })
            {
                i++;
                if (token.Text == "}")
                {
                    return Fail(source, next.Value, "'{' after '}': a section needs a name");
                }

                if (token.Text.EndsWith(':'))
                {
                    return Fail(source, next.Value,
                        $"no value for '{token.Text[..^1]}': found '{{' (a section name has no ':')");
                }

                var child = new Section(token.Text, token);
                if (token.Text is "node" or "interface")
                {
                    if (!section.Lists.TryGetValue(token.Text, out var list))
                    {
                        section.Lists[token.Text] = list = [];
                    }

                    list.Add(child);
                }
                else if (section.Children.ContainsKey(token.Text) || section.Values.ContainsKey(token.Text))
                {
                    return Fail(source, token, $"section '{token.Text}' already exists and may appear only once");
                }
                else
                {
                    section.Children[token.Text] = child;
                }

                stack.Push(section);
                section = child;
                continue;
            }

            if (token.Text == "}")
            {
                if (stack.Count == 0)
                {
                    return Fail(source, token, "unexpected '}': no section is open");
                }

                section = stack.Pop();
                continue;
            }

            if (token.Text == "{")
            {
                return Fail(source, token, "unexpected '{': a section needs a name before it");
            }

            if (!token.Text.EndsWith(':') || token.Text.Length == 1)
            {
                var hint = token.Text.StartsWith('[') ? " (a documentation placeholder, not corosync syntax)" : "";
                return Fail(source, token, token.Text.Length == 1 && token.Text == ":"
                    ? "a ':' without a key"
                    : $"missing ':' after key '{token.Text}'{hint}");
            }

            var key = token.Text[..^1];
            if (next is null)
            {
                return Fail(source, token, $"no value for '{key}': the file ends here");
            }

            if (next.Value.Text is "}" or "{")
            {
                return Fail(source, next.Value, $"no value for '{key}': found '{next.Value.Text}'");
            }

            i++;
            if (section.Children.ContainsKey(key) || section.Lists.ContainsKey(key))
            {
                return Fail(source, token, $"'{key}' is already a section here; it cannot also be a value");
            }

            // Proxmox keeps the last value of a repeated key (a Perl hash assignment).
            section.Values[key] = (token, next.Value);
        }

        if (stack.Count > 0)
        {
            return Fail(source, section.At, $"section '{section.Name}' is never closed (missing '}}')");
        }

        return BuildMembership(root, source);
    }

    private static ParseResult<ClusterMembership> BuildMembership(Section root, string source)
    {
        string? clusterName = null;
        var ipVersion = "ipv6-4";
        if (root.Children.TryGetValue("totem", out var totem))
        {
            if (totem.Values.TryGetValue("cluster_name", out var name))
            {
                clusterName = name.Value.Text;
            }

            if (totem.Values.TryGetValue("ip_version", out var ipv))
            {
                ipVersion = ipv.Value.Text;
            }
        }

        if (!root.Children.TryGetValue("nodelist", out var nodelist))
        {
            return ParseResult<ClusterMembership>.Fail(source, 0, 0,
                "no nodelist: Proxmox needs a nodelist section listing the cluster nodes");
        }

        if (!nodelist.Lists.TryGetValue("node", out var nodeSections) || nodeSections.Count == 0)
        {
            return Fail(source, nodelist.At, "no nodes: the nodelist section has no node sections");
        }

        var nodes = new List<ClusterNode>(nodeSections.Count);
        var seen = new Dictionary<string, Token>(StringComparer.Ordinal);
        foreach (var node in nodeSections)
        {
            var links = new List<NodeLink>();
            foreach (var (key, (keyToken, value)) in node.Values)
            {
                if (!TryParseLinkKey(key, out var number, out var isLinkKey))
                {
                    if (isLinkKey)
                    {
                        return Fail(source, keyToken, $"'{key}': link numbers go from 0 to {MaxLinkNumber}");
                    }

                    continue;
                }

                if (links.Any(l => l.Number == number))
                {
                    return Fail(source, keyToken, $"link {number} is given twice (ring{number}_addr and link{number}_addr)");
                }

                links.Add(new NodeLink(number, value.Text));
            }

            links.Sort((a, b) => a.Number.CompareTo(b.Number));

            int? nodeId = null;
            if (node.Values.TryGetValue("nodeid", out var idEntry))
            {
                var idToken = idEntry.Value;
                if (!int.TryParse(idToken.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    return Fail(source, idToken, $"nodeid '{idToken.Text}' is not a whole number");
                }

                nodeId = id;
            }

            // Corosync.pm indexes nodes by `name // ring0_addr`.
            Token nameToken;
            if (node.Values.TryGetValue("name", out var n))
            {
                nameToken = n.Value;
            }
            else if (node.Values.TryGetValue("ring0_addr", out var r0))
            {
                nameToken = r0.Value;
            }
            else
            {
                return Fail(source, node.At, "node has neither 'name' nor 'ring0_addr', so it has no name");
            }

            if (seen.TryGetValue(nameToken.Text, out var first))
            {
                return Fail(source, nameToken,
                    $"duplicate node name '{nameToken.Text}' (first at line {first.Line})");
            }

            seen[nameToken.Text] = nameToken;
            nodes.Add(new ClusterNode(nameToken.Text, nodeId, links));
        }

        return ParseResult<ClusterMembership>.Ok(new ClusterMembership(clusterName, nodes) { IpVersion = ipVersion });
    }

    /// <summary><c>ring&lt;N&gt;_addr</c> / <c>link&lt;N&gt;_addr</c> (Corosync.pm's <c>^(ring|link)(\d+)_addr$</c>).</summary>
    private static bool TryParseLinkKey(string key, out int number, out bool isLinkKey)
    {
        number = -1;
        isLinkKey = false;
        ReadOnlySpan<char> rest;
        if (key.StartsWith("ring", StringComparison.Ordinal) || key.StartsWith("link", StringComparison.Ordinal))
        {
            rest = key.AsSpan(4);
        }
        else
        {
            return false;
        }

        if (!rest.EndsWith("_addr", StringComparison.Ordinal))
        {
            return false;
        }

        var digits = rest[..^5];
        if (digits.Length == 0)
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        isLinkKey = true;
        if (digits.Length > 2 || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out number)
            || number > MaxLinkNumber)
        {
            number = -1;
            return false;
        }

        return true;
    }

    private static ParseResult<ClusterMembership> Fail(string source, Token at, string message) =>
        ParseResult<ClusterMembership>.Fail(source, at.Line, at.Column, message);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var line = 1;
        var lineStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                lineStart = ++i;
                continue;
            }

            if (c == '#')
            {
                // A comment runs to the end of the line, wherever it starts (Corosync.pm: s/#.*$//mg).
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (IsSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < text.Length && !IsSpace(text[i]) && text[i] != '\n' && text[i] != '#')
            {
                i++;
            }

            tokens.Add(new Token(text[start..i], line, start - lineStart + 1));
        }

        return tokens;
    }

    // Perl's \s on a byte string: ASCII whitespace only.
    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\f' or '\v';
}
