using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text.Json;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// A small typed client for the Proxmox VE API (<c>/api2/json</c>). Every failure surfaces as a
/// <see cref="SourceUnavailableException"/> (exit 3) with one line naming the call and Proxmox's own reason; an HTTP
/// error answer is attached as its <see cref="ProxmoxApiException"/> inner exception.
/// GETs are retried with backoff on connection errors and 5xx answers; writes are sent exactly once.
/// </summary>
public sealed class ProxmoxClient : IDisposable
{
    private readonly ProxmoxApiOptions _options;
    private readonly TimeProvider _time;
    private readonly Endpoint[] _endpoints;
    private readonly SemaphoreSlim _loginLock = new(1, 1);
    private volatile int _activeEndpoint;
    private volatile Ticket? _ticket;
    private string? _tokenHeader;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _unreachableNodes = new(StringComparer.Ordinal);

    /// <summary>Validates <paramref name="options"/> (exit 78 on bad keys) and loads the CA; connects lazily.</summary>
    public ProxmoxClient(ProxmoxApiOptions options, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        var tls = new ProxmoxTls(options);
        _endpoints = options.Urls.Select(u => new Endpoint(ProxmoxApiOptions.NormalizeUrl(u), tls, options)).ToArray();
    }

    /// <summary>True when certificates are not checked; the caller logs <see cref="InsecureWarning"/> on every run.</summary>
    public bool IsInsecure => _options.InsecureSkipVerify;

    public string? InsecureWarning => IsInsecure
        ? "api.insecure_skip_verify = true: node certificates are not checked; anyone on the path can read the API credentials (set api.ca_file or api.fingerprint)"
        : null;

    /// <summary>The API base currently in use (the first <c>api.url</c> that answered).</summary>
    public Uri ActiveUrl => _endpoints[_activeEndpoint].BaseUri;

    /// <summary><c>api.parallelism</c>: the bound for per-VM and per-node reads.</summary>
    public int Parallelism => _options.Parallelism;

    /// <summary>Who is calling, for messages: the token id or user name (never a secret).</summary>
    public string Principal => _options.Principal;

    /// <summary>
    /// Nodes given up on in this run, with the reason: pveproxy waits up to 30 s before it answers 595 for a node
    /// that drops packets, so after one timeout (or 595) no further request is sent to that node.
    /// </summary>
    public IReadOnlyDictionary<string, string> UnreachableNodes =>
        _unreachableNodes.ToDictionary(p => Uri.UnescapeDataString(p.Key), p => p.Value, StringComparer.Ordinal);

    /// <summary>Marks a node unreachable for the rest of the run (the cluster status reports it offline).</summary>
    public void MarkUnreachable(string node, string reason) => _unreachableNodes.TryAdd(Uri.EscapeDataString(node), reason);

    public bool IsUnreachable(string node) => _unreachableNodes.ContainsKey(Uri.EscapeDataString(node));

    /// <summary>Why <paramref name="node"/> was given up on in this run; null while it answers (asked once per guest, so no copy is made).</summary>
    public string? UnreachableReason(string node) => _unreachableNodes.TryGetValue(Uri.EscapeDataString(node), out var reason) ? reason : null;

    internal async Task<ProxmoxVersion> GetVersionAsync(CancellationToken cancellationToken) =>
        ProxmoxVersion.Parse(await GetAsync("version", cancellationToken).ConfigureAwait(false));

    internal async Task<IReadOnlyList<ClusterStatusEntry>> GetClusterStatusAsync(CancellationToken cancellationToken)
    {
        const string path = "cluster/status";
        return await GetAsync(path, static (ref Utf8JsonReader r) => ProxmoxReader.ReadList(ref r, "cluster status", ClusterStatusEntry.Read), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /cluster/resources?type=vm</c>: every guest the caller has VM.Audit on (others are silently left out by Proxmox).</summary>
    public async Task<IReadOnlyList<ClusterVmResource>> GetVmResourcesAsync(CancellationToken cancellationToken)
    {
        const string path = "cluster/resources?type=vm";
        return await GetAsync(path, static (ref Utf8JsonReader r) => ProxmoxReader.ReadList(ref r, "cluster resources", ClusterVmResource.Read), cancellationToken).ConfigureAwait(false);
    }

    internal async Task<NodeCpuInfo> GetNodeCpuInfoAsync(string node, CancellationToken cancellationToken)
    {
        var path = $"nodes/{Segment(node)}/status";
        var data = await GetAsync(path, cancellationToken).ConfigureAwait(false);
        return Shape(path, () => NodeCpuInfo.Parse(data));
    }

    /// <summary>
    /// <c>GET /nodes/{node}/qemu/{vmid}/config</c>: with pending values applied (Proxmox's default), the current
    /// values (<paramref name="current"/>), or one snapshot's.
    /// </summary>
    public async Task<QemuConfigValues> GetVmConfigAsync(string node, int vmId, bool current = false, string? snapshot = null, CancellationToken cancellationToken = default)
    {
        var path = $"nodes/{Segment(node)}/qemu/{vmId.ToString(CultureInfo.InvariantCulture)}/config";
        if (snapshot is not null)
        {
            path += "?snapshot=" + Uri.EscapeDataString(snapshot);
        }
        else if (current)
        {
            path += "?current=1";
        }

        return await GetAsync(path, QemuConfigValues.Read, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PendingEntry>> GetVmPendingAsync(string node, int vmId, CancellationToken cancellationToken)
    {
        var path = $"nodes/{Segment(node)}/qemu/{vmId.ToString(CultureInfo.InvariantCulture)}/pending";
        return await GetAsync(path, static (ref Utf8JsonReader r) => ProxmoxReader.ReadList(ref r, "pending list", PendingEntry.Read), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<SnapshotListEntry>> GetVmSnapshotsAsync(string node, int vmId, CancellationToken cancellationToken)
    {
        var path = $"nodes/{Segment(node)}/qemu/{vmId.ToString(CultureInfo.InvariantCulture)}/snapshot";
        return await GetAsync(path, static (ref Utf8JsonReader r) => ProxmoxReader.ReadList(ref r, "snapshot list", SnapshotListEntry.Read), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET .../status/current</c>: "running", "stopped", ...</summary>
    public async Task<string?> GetVmStatusAsync(string node, int vmId, CancellationToken cancellationToken)
    {
        var path = $"nodes/{Segment(node)}/qemu/{vmId.ToString(CultureInfo.InvariantCulture)}/status/current";
        var data = await GetAsync(path, cancellationToken).ConfigureAwait(false);
        return Shape(path, () => ProxmoxJson.RequireObject(data, "VM status").GetStringLenient("status"));
    }

    /// <summary>
    /// <c>PUT .../config</c> (synchronous). Always pass the digest the change was planned against: Proxmox then
    /// refuses it if the file changed meanwhile. Sent exactly once, never retried.
    /// </summary>
    public async Task SetVmConfigAsync(string node, int vmId, IReadOnlyList<KeyValuePair<string, string>> values, string? digest, CancellationToken cancellationToken)
    {
        var path = $"nodes/{Segment(node)}/qemu/{vmId.ToString(CultureInfo.InvariantCulture)}/config";
        if (_unreachableNodes.TryGetValue(Segment(node), out var given))
        {
            // Given up earlier in this run: a write would wait just as long, and then leave its outcome unknown.
            var text = $"API PUT /{path}: not sent: node {node} is unreachable ({given})";
            throw new SourceUnavailableException(text, new ProxmoxApiException(text, "PUT", path, 595, given, new Dictionary<string, string>()));
        }

        await SendAsync(HttpMethod.Put, path, WithDigest(values, digest), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /nodes/{node}/capabilities/qemu/cpu</c>: the models accepted (by the node you are connected to); null when not available.</summary>
    internal async Task<IReadOnlyList<QemuCpuModelEntry>?> GetQemuCpuModelsAsync(string node, CancellationToken cancellationToken)
    {
        var path = $"nodes/{Segment(node)}/capabilities/qemu/cpu";
        var data = await GetOptionalAsync(path, cancellationToken).ConfigureAwait(false);
        return data is { } d ? Shape(path, () => ProxmoxJson.ArrayItems(d, "CPU models").Select(QemuCpuModelEntry.Parse).ToList()) : null;
    }

    /// <summary>
    /// <c>GET /cluster/qemu/cpu-flags?accel=kvm</c> (pve-manager 9.1.15+, commit 6ed37d55); null when this Proxmox has
    /// no such endpoint (501). Read with its own size limit (<see cref="ClusterCpuFlag.MaxAnswerBytes"/>) and token by
    /// token: an answer a thousand times a real one costs no more memory than that limit.
    /// </summary>
    internal async Task<IReadOnlyList<ClusterCpuFlag>?> GetClusterCpuFlagsAsync(CancellationToken cancellationToken)
    {
        const string path = "cluster/qemu/cpu-flags?accel=kvm";
        try
        {
            return await GetAsync(path, ClusterCpuFlag.ReadList, cancellationToken, ClusterCpuFlag.MaxAnswerBytes).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { IsNotImplemented: true })
        {
            return null;
        }
    }

    /// <summary>
    /// <c>GET /cluster/qemu/custom-cpu-models</c> (pve-manager 9.1.15+, commit db32d51e); null when this Proxmox has no
    /// such endpoint (501). It lists only the models the caller has Mapping.Audit, .Use or .Modify on, without a word.
    /// </summary>
    public async Task<IReadOnlyList<CustomCpuModelEntry>?> GetCustomCpuModelsAsync(CancellationToken cancellationToken)
    {
        const string path = "cluster/qemu/custom-cpu-models";
        var data = await GetOptionalAsync(path, cancellationToken).ConfigureAwait(false);
        return data is { } d ? Shape(path, () => ProxmoxJson.ArrayItems(d, "custom CPU models").Select(CustomCpuModelEntry.Parse).ToList()) : null;
    }

    /// <summary>
    /// <c>POST /cluster/qemu/custom-cpu-models</c> (create) or <c>PUT /cluster/qemu/custom-cpu-models/{name}</c>
    /// (update, with the file's digest): pve-manager 9.1.15+, PVE/API2/Cluster/Qemu/CustomCPUModels.pm. Never retried.
    /// </summary>
    public async Task WriteCustomCpuModelAsync(HttpMethod method, string? name, IReadOnlyList<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        var path = "cluster/qemu/custom-cpu-models" + (name is null ? "" : "/" + Segment(name));
        await SendAsync(method, path, form, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET /cluster/ha/{kind}</c> (<c>resources</c>, <c>groups</c>, <c>rules</c>): each entry's scalar properties as
    /// Proxmox would write them to ha/{kind}.cfg; null when this release has no such endpoint (rules before PVE 9).
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>>?> GetHaEntriesAsync(string kind, CancellationToken cancellationToken)
    {
        var path = $"cluster/ha/{Segment(kind)}";
        var data = await GetOptionalAsync(path, cancellationToken).ConfigureAwait(false);
        if (data is not { } d)
        {
            return null;
        }

        return Shape(path, () => ProxmoxJson.ArrayItems(d, "HA " + kind)
            .Select(item => (IReadOnlyList<KeyValuePair<string, string>>)ProxmoxJson.RequireObject(item, "HA " + kind + " entry").EnumerateObject()
                .Select(p => (p.Name, Value: p.Name == "errors" ? HaErrors(p.Value) : ProxmoxJson.AsString(p.Value)))
                .Where(p => p.Value is not null)
                .Select(p => new KeyValuePair<string, string>(p.Name, p.Value!))
                .ToList())
            .ToList());
    }

    /// <summary>
    /// The <c>errors</c> of an HA rule (API2/HA/Rules.pm index: property to list of messages, or to one string as
    /// create and update stringify them), as one line of Proxmox's messages joined by ", "; bounded and printable only.
    /// </summary>
    private static string HaErrors(JsonElement errors)
    {
        var messages = new List<string>();
        if (errors.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in errors.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Array)
                {
                    messages.AddRange(property.Value.EnumerateArray().Select(ProxmoxJson.AsString).OfType<string>());
                }
                else if (ProxmoxJson.AsString(property.Value) is { } one)
                {
                    messages.Add(one);
                }
            }
        }

        var text = new string(string.Join(", ", messages.Distinct(StringComparer.Ordinal)).Select(c => char.IsControl(c) ? ' ' : c).Take(1000).ToArray());
        return text.Length > 0 ? text : "the Proxmox API reports errors for it";
    }

    /// <summary>
    /// A write below <c>/cluster/ha/</c> (POST, PUT or DELETE; pve-ha-manager's API2/HA). Never retried: the caller
    /// re-reads and decides.
    /// </summary>
    public async Task WriteHaAsync(HttpMethod method, string path, IReadOnlyList<KeyValuePair<string, string>>? form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        await SendAsync(method, "cluster/ha/" + path, form, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET /access/permissions</c>: the caller's privileges per ACL path. Proxmox silently leaves guests without
    /// VM.Audit out of /cluster/resources, so this is how a missing privilege is told apart from an empty cluster.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlySet<string>>> GetPermissionsAsync(CancellationToken cancellationToken)
    {
        const string path = "access/permissions";
        var data = await GetAsync(path, cancellationToken).ConfigureAwait(false);
        return Shape(path, () =>
        {
            var result = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
            foreach (var acl in ProxmoxJson.RequireObject(data, "permissions").EnumerateObject())
            {
                var privileges = new HashSet<string>(StringComparer.Ordinal);
                if (acl.Value.ValueKind == JsonValueKind.Object)
                {
                    // The value is the ACL's propagate flag (0 or 1); holding the privilege is its presence.
                    foreach (var privilege in acl.Value.EnumerateObject())
                    {
                        privileges.Add(privilege.Name);
                    }
                }

                result[acl.Name] = privileges;
            }

            return result;
        });
    }

    public void Dispose()
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Dispose();
        }

        _loginLock.Dispose();
    }

    /// <summary>
    /// One path segment, percent-encoded so that no node name (unicode, '/', '?', shell metacharacters) can build a
    /// different path. "." and ".." would still be collapsed by URI normalisation, so they are refused.
    /// </summary>
    internal static string Segment(string value)
    {
        if (string.IsNullOrEmpty(value) || value is "." or "..")
        {
            throw new SourceUnavailableException($"API: \"{value}\" is not a valid node name");
        }

        return Uri.EscapeDataString(value);
    }

    private static List<KeyValuePair<string, string>> WithDigest(IReadOnlyList<KeyValuePair<string, string>> values, string? digest)
    {
        var form = new List<KeyValuePair<string, string>>(values);
        if (!string.IsNullOrEmpty(digest))
        {
            form.Add(new("digest", digest));
        }

        return form;
    }

    private T Shape<T>(string path, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (ProxmoxShapeException e)
        {
            throw new SourceUnavailableException($"API GET /{StripQuery(path)} on {ActiveUrl.Authority}: unexpected answer: {e.Message}", e);
        }
    }

    private async Task<JsonElement?> GetOptionalAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException e) when (ProxmoxApiException.From(e) is { IsNotImplemented: true })
        {
            return null;
        }
    }

    /// <summary>"nodes/pve3/status" → "pve3" (still percent-encoded); null for cluster-wide paths.</summary>
    private static string? NodeSegment(string path)
    {
        if (!path.StartsWith("nodes/", StringComparison.Ordinal))
        {
            return null;
        }

        var end = path.IndexOf('/', "nodes/".Length);
        return end < 0 ? null : path["nodes/".Length..end];
    }

    /// <summary>A GET whose data is read by <paramref name="read"/> straight from the pooled answer; a wrong shape names the call.</summary>
    private async Task<T> GetAsync<T>(string path, DataReader<T> read, CancellationToken cancellationToken, int maxBytes = BoundedBody.MaxBytes)
    {
        using var answer = await GetAnswerAsync(path, cancellationToken, maxBytes).ConfigureAwait(false);
        try
        {
            return Data(answer, read);
        }
        catch (ProxmoxShapeException e)
        {
            throw new SourceUnavailableException($"API GET /{StripQuery(path)} on {ActiveUrl.Authority}: unexpected answer: {e.Message}", e);
        }
    }

    /// <summary>A GET whose data is wanted as a <see cref="JsonElement"/> (endpoints asked once a run).</summary>
    private async Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var answer = await GetAnswerAsync(path, cancellationToken).ConfigureAwait(false);
        return Data(answer, ProxmoxReader.Element);
    }

    private async Task<Answer> GetAnswerAsync(string path, CancellationToken cancellationToken, int maxBytes = BoundedBody.MaxBytes)
    {
        var node = NodeSegment(path);
        if (node is not null && _unreachableNodes.TryGetValue(node, out var given))
        {
            var text = $"API GET /{StripQuery(path)}: not sent: node {Uri.UnescapeDataString(node)} is unreachable ({given})";
            throw new SourceUnavailableException(text, new ProxmoxApiException(text, "GET", path, 595, given, new Dictionary<string, string>()));
        }

        var delay = _options.RetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SendAnswerAsync(HttpMethod.Get, path, null, cancellationToken, maxBytes).ConfigureAwait(false);
            }
            catch (RetryableException e) when (node is not null && e.InnerException is OperationCanceledException)
            {
                // A request proxied to a node that drops packets hangs until pveproxy gives up: asking again, or
                // asking that node anything else, only multiplies the wait. Give the node up for this run.
                var seconds = _options.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
                var reason = $"no answer within {seconds} s";
                _unreachableNodes.TryAdd(node, reason);
                throw new SourceUnavailableException(e.Message, new ProxmoxApiException(e.Message, "GET", path, 595, reason, new Dictionary<string, string>()));
            }
            catch (SourceUnavailableException e) when (node is not null && ProxmoxApiException.From(e) is { IsNodeUnreachable: true } api)
            {
                _unreachableNodes.TryAdd(node, $"{api.StatusCode} {api.Reason}");
                throw;
            }
            catch (RetryableException e) when (attempt < _options.GetAttempts)
            {
                _ = e;
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
            catch (RetryableException e)
            {
                throw new SourceUnavailableException(e.Message + (attempt > 1 ? $" (after {attempt} attempts)" : ""), e.InnerException);
            }
        }
    }

    /// <summary>
    /// Sends one request. Tries the endpoints from the active one on: a connection failure (nothing was sent)
    /// moves to the next; an answer, a TLS refusal or a timeout ends the call.
    /// </summary>
    /// <summary>A write: its answer is checked to be Proxmox's <c>{"data": ...}</c> and otherwise not read.</summary>
    private async Task SendAsync(HttpMethod method, string path, IReadOnlyList<KeyValuePair<string, string>>? form, CancellationToken cancellationToken)
    {
        using var answer = await SendAnswerAsync(method, path, form, cancellationToken).ConfigureAwait(false);
        Data(answer, static (ref Utf8JsonReader r) => 0);
    }

    private async Task<Answer> SendAnswerAsync(HttpMethod method, string path, IReadOnlyList<KeyValuePair<string, string>>? form, CancellationToken cancellationToken, int maxBytes = BoundedBody.MaxBytes)
    {
        var start = _activeEndpoint;
        var failures = new List<string>();
        for (var i = 0; i < _endpoints.Length; i++)
        {
            var index = (start + i) % _endpoints.Length;
            var endpoint = _endpoints[index];
            try
            {
                var data = await SendToAsync(endpoint, method, path, form, maxBytes, cancellationToken).ConfigureAwait(false);
                _activeEndpoint = index;
                return data;
            }
            catch (ConnectionFailedException e)
            {
                failures.Add(e.Message);
            }
        }

        var message = $"API {method} /{StripQuery(path)}: no node answered: {string.Join("; ", failures)}";
        if (method == HttpMethod.Get)
        {
            throw new RetryableException(message, null);
        }

        throw new SourceUnavailableException(message);
    }

    private async Task<Answer> SendToAsync(Endpoint endpoint, HttpMethod method, string path, IReadOnlyList<KeyValuePair<string, string>>? form, int maxBytes, CancellationToken cancellationToken)
    {
        var ticketRenewed = false;
        while (true)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            var display = $"API {method} /{StripQuery(path)} on {endpoint.BaseUri.Authority}";
            try
            {
                using var request = new HttpRequestMessage(method, new Uri(endpoint.BaseUri.AbsoluteUri + path));
                await AuthenticateAsync(endpoint, request, method != HttpMethod.Get, timeout.Token).ConfigureAwait(false);
                if (form is not null)
                {
                    request.Content = new FormUrlEncodedContent(form);
                }

                using var response = await endpoint.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.Unauthorized && !_options.UsesToken && !ticketRenewed)
                {
                    // The ticket expired or was revoked (pveproxy restarted with a rotated key): log in once more.
                    _ticket = null;
                    ticketRenewed = true;
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw await ErrorFromAsync(display, method, path, response, timeout.Token).ConfigureAwait(false);
                }

                return new Answer(await ReadBodyAsync(display, response, maxBytes, timeout.Token).ConfigureAwait(false), display);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                var seconds = _options.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
                if (method == HttpMethod.Get)
                {
                    throw new RetryableException($"{display}: no answer within {seconds} s (api.timeout_seconds)", e);
                }

                throw new SourceUnavailableException(
                    $"{display}: no answer within {seconds} s (api.timeout_seconds); the change may or may not have been applied, re-read the VM before trying again", e);
            }
            catch (HttpRequestException e) when (endpoint.TakeTlsFailure() is { } tls)
            {
                throw new SourceUnavailableException(tls, e);
            }
            catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                                                 || e.InnerException is AuthenticationException)
            {
                throw new ConnectionFailedException($"{endpoint.BaseUri.Authority}: {OneLine(e.Message)}", e);
            }
            catch (HttpRequestException e)
            {
                // The connection broke after the request went out: a GET can be asked again, a write cannot.
                if (method == HttpMethod.Get)
                {
                    throw new RetryableException($"{display}: {OneLine(e.Message)}", e);
                }

                throw new SourceUnavailableException(
                    $"{display}: connection lost ({OneLine(e.Message)}); the change may or may not have been applied, re-read the VM before trying again", e);
            }
        }
    }

    private async Task AuthenticateAsync(Endpoint endpoint, HttpRequestMessage request, bool isWrite, CancellationToken cancellationToken)
    {
        if (_options.UsesToken)
        {
            request.Headers.TryAddWithoutValidation("Authorization", _tokenHeader ??= $"PVEAPIToken={_options.TokenId}={_options.TokenSecret}");
            return;
        }

        var ticket = await GetTicketAsync(endpoint, cancellationToken).ConfigureAwait(false);
        request.Headers.TryAddWithoutValidation("Cookie", "PVEAuthCookie=" + ticket.Value);
        if (isWrite)
        {
            request.Headers.TryAddWithoutValidation("CSRFPreventionToken", ticket.CsrfToken);
        }
    }

    private async Task<Ticket> GetTicketAsync(Endpoint endpoint, CancellationToken cancellationToken)
    {
        var ticket = _ticket;
        if (ticket is not null && _time.GetUtcNow() - ticket.IssuedAt < _options.TicketRenewAfter)
        {
            return ticket;
        }

        await _loginLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ticket = _ticket;
            if (ticket is not null && _time.GetUtcNow() - ticket.IssuedAt < _options.TicketRenewAfter)
            {
                return ticket;
            }

            var issuedAt = _time.GetUtcNow();
            var display = $"API login as {_options.Username} on {endpoint.BaseUri.Authority}";
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseUri.AbsoluteUri + "access/ticket"))
            {
                Content = new FormUrlEncodedContent([new("username", _options.Username!), new("password", _options.Password!)]),
            };
            using var response = await endpoint.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var error = await ErrorFromAsync(display, HttpMethod.Post, "access/ticket", response, cancellationToken).ConfigureAwait(false);
                var hint = response.StatusCode == HttpStatusCode.Unauthorized ? " (check api.username and api.password_file)" : "";
                throw new SourceUnavailableException(error.Message + hint, error);
            }

            using var answer = new Answer(await ReadBodyAsync(display, response, BoundedBody.MaxBytes, cancellationToken).ConfigureAwait(false), display);
            var data = Data(answer, ProxmoxReader.Element);
            if (data.ValueKind != JsonValueKind.Object || data.GetStringLenient("ticket") is not { } value ||
                data.GetStringLenient("CSRFPreventionToken") is not { } csrf)
            {
                throw new SourceUnavailableException($"{display}: unexpected answer: no ticket and CSRFPreventionToken");
            }

            if (data.GetBoolLenient("NeedTFA") == true)
            {
                // pve-access-control (src/PVE/API2/AccessControl.pm, commit 5ccd07d9): a user with a second factor
                // gets a half-ticket that opens nothing until the TFA step, which an unattended tool cannot answer.
                throw new SourceUnavailableException($"{display}: this user needs two-factor authentication: use an API token (api.token_id and api.token_secret_file)");
            }

            ticket = new Ticket(value, csrf, issuedAt);
            _ticket = ticket;
            return ticket;
        }
        finally
        {
            _loginLock.Release();
        }
    }

    private async Task<Exception> ErrorFromAsync(string display, HttpMethod method, string path, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var reason = OneLine(response.ReasonPhrase ?? "");
        var fieldErrors = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var (body, truncated) = await BoundedBody.ReadPrefixAsync(response, BoundedBody.MaxErrorBytes, cancellationToken).ConfigureAwait(false);
            if (body.Length > 0 && !truncated)
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                if (root.Property("errors") is { ValueKind: JsonValueKind.Object } errors)
                {
                    foreach (var field in errors.EnumerateObject())
                    {
                        fieldErrors[field.Name] = OneLine(ProxmoxJson.AsString(field.Value) ?? field.Value.GetRawText());
                    }
                }

                if (reason.Length == 0 && root.GetStringLenient("message") is { } message)
                {
                    reason = OneLine(message);
                }
            }
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
            // The reason phrase is what Proxmox documents; the body is extra detail only.
        }

        if (reason.Length == 0)
        {
            reason = response.StatusCode.ToString();
        }

        var text = $"{display}: {status} {reason}";
        if (fieldErrors.Count > 0)
        {
            text += ": " + string.Join(", ", fieldErrors.Select(f => $"{f.Key}: {f.Value}"));
        }

        if (status == 401)
        {
            text += _options.UsesToken
                ? $" (the API token {_options.TokenId} was refused; check api.token_id and api.token_secret_file)"
                : $" (the ticket of {_options.Username} was refused)";
        }
        else if (status == 403)
        {
            text += $" ({_options.Principal} lacks that privilege on that path; grant it with pveum acl modify)";
        }
        else if (status == 595)
        {
            text += " (the node is offline or unreachable from the node answering the API)";
        }

        var api = new ProxmoxApiException(text, method.Method, path, status, reason, fieldErrors);
        // Proxmox answers 500 for application errors too; "does not exist" is a definitive answer, not a hiccup.
        var retryable = method == HttpMethod.Get && status >= 500 && status != 501 && status != 595 &&
                        !reason.Contains("does not exist", StringComparison.OrdinalIgnoreCase);
        return retryable ? new RetryableException(text, api) : new SourceUnavailableException(text, api);
    }

    /// <summary>The whole answer, bounded (<see cref="BoundedBody"/>), in a pooled buffer.</summary>
    private static async Task<PooledBody> ReadBodyAsync(string display, HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            return await BoundedBody.ReadPooledAsync(response, maxBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (AnswerTooLargeException e)
        {
            // An endpoint with a limit of its own says so (the display names the endpoint).
            var own = maxBytes == BoundedBody.MaxBytes ? "" : " (this endpoint's own limit)";
            throw new SourceUnavailableException($"{display}: {e.Message}{own}", e);
        }
    }

    /// <summary>
    /// The <c>data</c> of a <c>{"data": ...}</c> answer, read by <paramref name="read"/> after the whole answer was
    /// found to be JSON; a wrong shape inside the data is left to the caller (<see cref="ProxmoxShapeException"/>).
    /// </summary>
    private static T Data<T>(Answer answer, DataReader<T> read)
    {
        int start, length;
        bool found;
        try
        {
            found = ProxmoxReader.TryGetData(answer.Body.Span, out start, out length);
        }
        catch (JsonException e)
        {
            var where = e.BytePositionInLine is { } b ? $" at line {(e.LineNumber ?? 0) + 1}, byte {b + 1}" : "";
            throw new SourceUnavailableException($"{answer.Display}: the answer is not valid JSON{where} (truncated or not from Proxmox VE?)", e);
        }

        if (!found)
        {
            throw new SourceUnavailableException($"{answer.Display}: unexpected answer: no {{\"data\": ...}} object (is api.url a Proxmox VE node?)");
        }

        return ProxmoxReader.ReadValue(answer.Body.Span.Slice(start, length), read);
    }

    private static string StripQuery(string path)
    {
        var q = path.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? path : path[..q];
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>A successful answer's bytes (pooled: dispose it) and the call's name for messages.</summary>
    private sealed class Answer(PooledBody body, string display) : IDisposable
    {
        public PooledBody Body { get; } = body;

        public string Display { get; } = display;

        public void Dispose() => Body.Dispose();
    }

    private sealed record Ticket(string Value, string CsrfToken, DateTimeOffset IssuedAt);

    /// <summary>A GET failure worth another attempt (connection error, timeout, 5xx other than 501 and 595).</summary>
    private sealed class RetryableException(string message, Exception? inner) : Exception(message, inner);

    /// <summary>Nothing was sent: the next <c>api.url</c> may be tried.</summary>
    private sealed class ConnectionFailedException(string message, Exception inner) : Exception(message, inner);

    private sealed class Endpoint : IDisposable
    {
        private string? _tlsFailure;

        public Endpoint(Uri baseUri, ProxmoxTls tls, ProxmoxApiOptions options)
        {
            BaseUri = baseUri;
            var handler = new SocketsHttpHandler
            {
                UseCookies = false,
                AllowAutoRedirect = false,
                ConnectTimeout = options.Timeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = Math.Max(options.Parallelism, 1) + 2,
                // Decompressed by BoundedBody, which caps both sizes; a handler would inflate a gzip bomb unseen.
                AutomaticDecompression = DecompressionMethods.None,

                // Only the configured proxy: HTTPS_PROXY and friends in root's environment are not an instruction to
                // send the API token elsewhere.
                UseProxy = options.Proxy is not null,
                Proxy = options.Proxy is { } proxy ? new WebProxy(proxy) : null,
            };
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                var failure = tls.Check(baseUri, certificate, chain, errors);
                if (failure is not null)
                {
                    Volatile.Write(ref _tlsFailure, failure);
                }

                return failure is null;
            };
            Http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            Http.DefaultRequestHeaders.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
            Http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("proxclmc-guard", "0.1"));
        }

        public Uri BaseUri { get; }

        public HttpClient Http { get; }

        public string? TakeTlsFailure() => Volatile.Read(ref _tlsFailure);

        public void Dispose() => Http.Dispose();
    }
}
