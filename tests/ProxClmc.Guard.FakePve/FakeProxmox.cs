using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ProxClmc.Guard.FakePve;

public sealed record FakeProxmoxOptions
{
    /// <summary>An offline snapshot folder (corosync.conf, nodes/&lt;node&gt;/qemu-server/*.conf, nodes/&lt;node&gt;/cpuinfo, ...). Read once, never written.</summary>
    public required string SnapshotDir { get; init; }

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>Added to every request before it is answered.</summary>
    public TimeSpan Latency { get; init; }

    public FakeCertificateKind Certificate { get; init; } = FakeCertificateKind.Valid;

    /// <summary>The clock tickets age by (2 hours, as in Proxmox).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The Proxmox VE release to answer as (<c>--pve-version</c>): which endpoints exist and which fields they carry.</summary>
    public PveRelease Release { get; init; } = PveRelease.Latest;

    /// <summary>Overrides the release: false makes /cluster/qemu/cpu-flags and /cluster/qemu/custom-cpu-models answer 501.</summary>
    public bool? HasClusterCpuEndpoints { get; init; }

    /// <summary>Nodes that are down (<c>--offline &lt;node&gt;[:slow]</c>).</summary>
    public IReadOnlyList<FakeOffline> Offline { get; init; } = [];

    /// <summary>
    /// How long a request proxied to a node that drops packets hangs before the 595 (pveproxy waits 30 s for the
    /// connection). Tests shorten it together with <c>api.timeout_seconds</c>.
    /// </summary>
    public TimeSpan SlowOfflineHang { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A hostile API (<c>--cpu-flags-bytes &lt;n&gt;</c>): <c>/cluster/qemu/cpu-flags</c> answers, after its parameter
    /// and permission checks, Proxmox's own list followed by made-up flags, each supported on the cluster's nodes
    /// named over and over, until the answer is about this many bytes (valid JSON of the real shape).
    /// </summary>
    public int? CpuFlagsAnswerBytes { get; init; }
}

/// <summary>A node that is down: <see cref="Slow"/> drops packets (the proxied request hangs, then 595), otherwise it refuses at once.</summary>
public sealed record FakeOffline(string Node, bool Slow = false)
{
    /// <summary>"pve3" or "pve3:slow".</summary>
    public static FakeOffline Parse(string text) =>
        text.EndsWith(":slow", StringComparison.Ordinal) ? new FakeOffline(text[..^5], true) : new FakeOffline(text);
}

/// <summary>One request the fake answered (path as sent, still percent-encoded, without /api2/json and the query).</summary>
public sealed record FakeRequest(string Method, string Path, string Query, int Status);

/// <summary>
/// An in-process Proxmox VE API over HTTPS, with Proxmox's semantics (see README.md): <c>{"data":...}</c>, 0/1
/// booleans, messages in the HTTP reason phrase, digests, locks, [PENDING], token and ticket auth with privileges,
/// 595 for offline nodes, and hooks to inject latency and failures.
/// </summary>
public sealed class FakeProxmox : IAsyncDisposable
{
    public const string TokenId = "root@pam!guard";
    public const string Username = "root@pam";
    public static readonly TimeSpan TicketLifetime = TimeSpan.FromHours(2);

    /// <summary>A user with two-factor authentication: its login gives only a half-ticket (<c>NeedTFA: 1</c>).</summary>
    public const string TfaUsername = "admin@pve";

    public static readonly IReadOnlyList<string> AllPrivileges =
    [
        "Sys.Audit", "Sys.Console", "Sys.Modify", "VM.Audit", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.HWType", "VM.Config.Options",
        "VM.Config.Disk", "VM.Config.Network", "VM.Config.Cloudinit", "VM.PowerMgmt", "Mapping.Audit", "Mapping.Use", "Mapping.Modify",
    ];

    private readonly FakeCluster _cluster;
    private readonly FakeHa _ha;
    private readonly FakeProxmoxOptions _options;
    private readonly DirectoryInfo _tempDir;
    private readonly object _lock = new();
    private readonly List<(string Path, int Count, byte[] Body, int Status, string? Encoding, string Reason)> _byteAnswers = [];
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private readonly Dictionary<string, (DateTimeOffset IssuedAt, string Csrf)> _tickets = [];
    private readonly Dictionary<(string Path, string Privilege), bool> _acl = [];
    private readonly List<Fault> _faults = [];
    private readonly Dictionary<string, string> _tasks = [];
    private WebApplication? _app;
    private long _taskCounter;

    private FakeProxmox(FakeProxmoxOptions options, FakeCluster cluster, DirectoryInfo tempDir)
    {
        _options = options;
        _cluster = cluster;
        _ha = new FakeHa(options.SnapshotDir, () => cluster.Nodes.Select(n => n.Name).ToList());
        _tempDir = tempDir;
        Latency = options.Latency;
        SlowOfflineHang = options.SlowOfflineHang;
        foreach (var offline in options.Offline)
        {
            var node = Node(offline.Node);
            node.Offline = true;
            node.Slow = offline.Slow;
        }

        TokenSecret = Guid.NewGuid().ToString();
        Password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
    }

    /// <summary>The node URL, <c>https://127.0.0.1:&lt;port&gt;</c> (the API is below /api2/json).</summary>
    public string Url { get; private set; } = "";

    public int Port { get; private set; }

    /// <summary>The cluster CA (PEM) that signed the node certificate: what <c>api.ca_file</c> should name.</summary>
    public string CaCertificatePath { get; private set; } = "";

    /// <summary>Another CA (PEM) that signed nothing here: a wrong <c>api.ca_file</c>.</summary>
    public string OtherCaCertificatePath { get; private set; } = "";

    /// <summary>SHA-256 of the presented certificate, "AB:CD:..." as <c>pvenode cert info</c> shows it.</summary>
    public string Fingerprint { get; private set; } = "";

    public string TokenSecret { get; }

    /// <summary>A file (mode 0600) holding <see cref="TokenSecret"/>: what <c>api.token_secret_file</c> should name.</summary>
    public string TokenFile { get; private set; } = "";

    public string Password { get; }

    /// <summary>A file (mode 0600) holding <see cref="Password"/> for <see cref="Username"/>.</summary>
    public string PasswordFile { get; private set; } = "";

    /// <summary>Added to every request; may be changed while running.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>How long a request to a slow offline node hangs before its 595; may be changed while running.</summary>
    public TimeSpan SlowOfflineHang { get; set; }

    public PveRelease Release => _options.Release;

    private bool HasClusterQemu => _options.HasClusterCpuEndpoints ?? _options.Release.HasClusterQemuEndpoints;

    public IReadOnlyList<FakeRequest> Requests => _requests.ToArray();

    /// <summary>The HA endpoints' state: ha/{kind}.cfg as written so far.</summary>
    public FakeHa Ha => _ha;

    /// <summary>Raised when a request arrives (before the latency) and when its answer is written: lets tests measure concurrency.</summary>
    public event Action? RequestStarted;

    public event Action? RequestFinished;

    public IReadOnlyList<string> NodeNames
    {
        get
        {
            lock (_lock)
            {
                return _cluster.Nodes.Select(n => n.Name).ToList();
            }
        }
    }

    public static async Task<FakeProxmox> StartAsync(FakeProxmoxOptions options, CancellationToken cancellationToken = default)
    {
        var cluster = FakeCluster.Load(options.SnapshotDir);
        var tempDir = Directory.CreateTempSubdirectory("fake-pve-");
        var fake = new FakeProxmox(options, cluster, tempDir);
        try
        {
            await fake.StartServerAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await fake.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return fake;
    }

    public int CountRequests(string method, string pathContains) =>
        _requests.Count(r => r.Method == method && r.Path.Contains(pathContains, StringComparison.Ordinal));

    public void ClearRequestLog() => _requests.Clear();

    /// <summary>
    /// The node is down: /cluster/status shows online 0 and every /nodes/&lt;node&gt;/... answers 595 at once. With
    /// <paramref name="slow"/> the node drops packets instead: corosync still counts it (online 1) and each proxied
    /// request hangs for <see cref="SlowOfflineHang"/> before pveproxy gives up with 595.
    /// </summary>
    public void SetNodeOffline(string node, bool offline = true, bool slow = false)
    {
        lock (_lock)
        {
            Node(node).Offline = offline;
            Node(node).Slow = offline && slow;
        }
    }

    /// <summary>
    /// The node comes back from an update with another CPU as the node status shows it: <paramref name="cpuinfo"/> (a
    /// microcode or BIOS update that hides flags, a replaced board) and, when given, another running kernel.
    /// </summary>
    public void SetNodeCpu(string node, string cpuinfo, string? kernel = null)
    {
        lock (_lock)
        {
            Node(node).CpuInfoText = cpuinfo;
            if (kernel is not null)
            {
                Node(node).Kernel = kernel;
            }
        }
    }

    /// <summary>The next <paramref name="count"/> requests whose path contains <paramref name="pathContains"/> fail with this status and reason.</summary>
    public void FailNext(string pathContains, int count, int status = 500, string reason = "Internal Server Error", string? method = null)
    {
        lock (_lock)
        {
            _faults.Add(new Fault(pathContains, method, count, status, reason, null));
        }
    }

    /// <summary>The next <paramref name="count"/> matching requests get this raw body (malformed JSON, a wrong shape, ...) with status 200.</summary>
    public void ServeRawNext(string pathContains, int count, string body, string? method = null)
    {
        lock (_lock)
        {
            _faults.Add(new Fault(pathContains, method, count, 200, "OK", body));
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests whose path contains <paramref name="pathContains"/> get these exact
    /// bytes (a gzip bomb, a huge error body) with this status and, when given, a Content-Encoding header.
    /// </summary>
    public void ServeBytesNext(string pathContains, int count, byte[] body, int status = 200, string? contentEncoding = null, string reason = "OK")
    {
        lock (_lock)
        {
            _byteAnswers.Add((pathContains, count, body, status, contentEncoding, reason));
        }
    }

    /// <summary>The next <paramref name="count"/> matching requests are read, maybe acted on, and then the connection is cut without an answer.</summary>
    public void AbortNext(string pathContains, int count, string? method = null, bool actFirst = false)
    {
        lock (_lock)
        {
            _faults.Add(new Fault(pathContains, method, count, 0, actFirst ? "act" : "", null));
        }
    }

    /// <summary>Every ticket issued so far stops working (as after the 2 hours, or a key rotation).</summary>
    public void ExpireTickets()
    {
        lock (_lock)
        {
            _tickets.Clear();
        }
    }

    /// <summary>Takes a privilege away on an ACL path and everything below it ("/" for everywhere, "/vms/100" for one VM).</summary>
    public void Revoke(string privilege, string path = "/")
    {
        lock (_lock)
        {
            _acl[(path, privilege)] = false;
        }
    }

    /// <summary>Gives a privilege back on a path below a revoked one (the most specific ACL path wins, as in Proxmox).</summary>
    public void Grant(string privilege, string path)
    {
        lock (_lock)
        {
            _acl[(path, privilege)] = true;
        }
    }

    /// <summary>Puts a guest in a resource pool (<c>pool</c> in /cluster/resources; ACLs on <c>/pool/&lt;name&gt;</c> apply to it).</summary>
    public void SetPool(int vmId, string? pool)
    {
        lock (_lock)
        {
            Guest(vmId).Pool = pool;
        }
    }

    public void SetVmStatus(int vmId, string status)
    {
        lock (_lock)
        {
            Guest(vmId).Status = status;
        }
    }

    public string GetConfigText(int vmId)
    {
        lock (_lock)
        {
            return Guest(vmId).Config.Text;
        }
    }

    /// <summary>Replaces a config as another administrator would (its digest changes).</summary>
    public void SetConfigText(int vmId, string text)
    {
        lock (_lock)
        {
            Guest(vmId).Config.Text = text;
        }
    }

    public string GetDigest(int vmId)
    {
        lock (_lock)
        {
            return Guest(vmId).Config.Digest;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            _tempDir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private FakeNode Node(string name) =>
        _cluster.Nodes.FirstOrDefault(n => n.Name == name) ?? throw new ArgumentException($"no node {name} in the snapshot", nameof(name));

    private FakeGuest Guest(int vmId) =>
        _cluster.Guests.TryGetValue(vmId, out var guest) ? guest : throw new ArgumentException($"no guest {vmId} in the snapshot", nameof(vmId));

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        var nodeName = _cluster.Nodes.FirstOrDefault()?.Name ?? "pve";
        var ca = FakeCertificates.CreateCa("Proxmox Virtual Environment");
        var otherCa = FakeCertificates.CreateCa("Some Other CA");
        var leaf = FakeCertificates.CreateLeaf(_options.Certificate == FakeCertificateKind.UnknownCa ? otherCa : ca, _options.Certificate, nodeName);
        CaCertificatePath = WriteFile("pve-root-ca.pem", ca.ExportCertificatePem() + "\n", secret: false);
        OtherCaCertificatePath = WriteFile("other-ca.pem", otherCa.ExportCertificatePem() + "\n", secret: false);
        Fingerprint = string.Join(':', Convert.ToHexString(leaf.GetCertHash(HashAlgorithmName.SHA256)).Chunk(2).Select(c => new string(c)));
        TokenFile = WriteFile("token-secret", TokenSecret + "\n", secret: true);
        PasswordFile = WriteFile("password", Password + "\n", secret: true);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeProxmox).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();

        // In-process, the fake must not take over the host's Ctrl+C/SIGTERM handling; the executable handles its own.
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, _options.Port, listen =>
            {
                // pveproxy speaks HTTP/1.1 only; reason phrases (Proxmox's error messages) exist only there.
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(leaf);
            });
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        Url = $"https://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";
    }

    private string WriteFile(string name, string content, bool secret)
    {
        var path = Path.Combine(_tempDir.FullName, name);
        File.WriteAllText(path, content);
        if (secret && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    private async Task HandleAsync(HttpContext context)
    {
        RequestStarted?.Invoke();
        try
        {
            await AnswerAsync(context).ConfigureAwait(false);
        }
        finally
        {
            RequestFinished?.Invoke();
        }
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var latency = Latency;
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, context.RequestAborted).ConfigureAwait(false);
        }

        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var queryStart = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = queryStart < 0 ? rawTarget : rawTarget[..queryStart];
        var query = queryStart < 0 ? "" : rawTarget[(queryStart + 1)..];
        const string prefix = "/api2/json";
        var apiPath = rawPath.StartsWith(prefix + "/", StringComparison.Ordinal) ? rawPath[prefix.Length..] : rawPath;

        (string Path, int Count, byte[] Body, int Status, string? Encoding, string Reason)? bytes = null;
        lock (_lock)
        {
            var index = _byteAnswers.FindIndex(b => b.Count > 0 && apiPath.Contains(b.Path, StringComparison.Ordinal));
            if (index >= 0)
            {
                bytes = _byteAnswers[index];
                _byteAnswers[index] = bytes.Value with { Count = bytes.Value.Count - 1 };
            }
        }

        if (bytes is { } raw)
        {
            _requests.Enqueue(new FakeRequest(context.Request.Method, apiPath, query, raw.Status));
            context.Response.StatusCode = raw.Status;
            context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = raw.Reason;
            context.Response.ContentType = "application/json;charset=UTF-8";
            if (raw.Encoding is { } encoding)
            {
                context.Response.Headers.ContentEncoding = encoding;
            }

            context.Response.ContentLength = raw.Body.Length;
            await context.Response.Body.WriteAsync(raw.Body, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        Answer answer;
        try
        {
            answer = rawPath.StartsWith(prefix + "/", StringComparison.Ordinal)
                ? await RouteAsync(context, apiPath).ConfigureAwait(false)
                : Answer.Error(501, $"Method '{context.Request.Method} {rawPath}' not implemented");
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            answer = Answer.Error(400, "Parameter verification failed.", new JsonObject { ["request"] = e.Message });
        }

        _requests.Enqueue(new FakeRequest(context.Request.Method, apiPath, query, answer.Status));
        if (answer == Answer.Abort)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = answer.Status;
        context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = answer.Reason;
        context.Response.ContentType = "application/json;charset=UTF-8";
        if (answer.Bytes is { } bytesBody)
        {
            context.Response.ContentLength = bytesBody.Length;
            await context.Response.Body.WriteAsync(bytesBody, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await context.Response.WriteAsync(answer.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task<Answer> RouteAsync(HttpContext context, string apiPath)
    {
        var method = context.Request.Method;
        var segments = apiPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var query = context.Request.Query;
        bool abortAfter;

        lock (_lock)
        {
            var fault = _faults.FirstOrDefault(f => f.Remaining > 0 && apiPath.Contains(f.PathContains, StringComparison.Ordinal) && (f.Method is null || f.Method == method));
            if (fault is not null)
            {
                fault.Remaining--;
                if (fault.Status != 0 || fault.Reason != "act")
                {
                    return fault.RawBody is { } raw ? new Answer(200, "OK", raw) : fault.Status == 0 ? Answer.Abort : Answer.Error(fault.Status, fault.Reason);
                }
            }

            abortAfter = fault is { Status: 0 };
        }

        if (segments is ["access", "ticket"] && method == "POST")
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            return Login(form["username"].ToString(), form["password"].ToString(), form["realm"].ToString());
        }

        var principal = Authenticate(context, method != "GET", out var authError);
        if (principal is null)
        {
            return authError!;
        }

        if (segments is ["nodes", var target, ..] && OfflineDelay(target) is { } hang)
        {
            // pveproxy proxies /nodes/<node>/... to that node; one that drops packets makes it wait for the connect
            // timeout before it answers 595 itself.
            try
            {
                await Task.Delay(hang, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The client gave up first: still log the request (status 0, no answer).
                _requests.Enqueue(new FakeRequest(method, apiPath, context.Request.QueryString.Value?.TrimStart('?') ?? "", 0));
                throw;
            }
        }

        IFormCollection? body = null;
        if (method is "PUT" or "POST" && context.Request.HasFormContentType)
        {
            body = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        }

        lock (_lock)
        {
            var answer = (method, segments) switch
            {
                ("GET", ["version"]) => Answer.Data(new JsonObject { ["version"] = _options.Release.VersionString, ["release"] = _options.Release.Release, ["repoid"] = "fakepve0" }),
                ("GET", ["access", "permissions"]) => Permissions(),
                ("GET", ["cluster", "status"]) => Require("/", "Sys.Audit") ?? ClusterStatus(),
                ("GET", ["cluster", "resources"]) => Resources(query["type"].ToString()),
                ("GET", ["cluster", "qemu", "cpu-flags"]) when HasClusterQemu => CpuFlags(query),
                ("GET", ["cluster", "qemu", "custom-cpu-models"]) when HasClusterQemu => CustomModels(),
                ("POST", ["cluster", "qemu", "custom-cpu-models"]) when HasClusterQemu => CreateCustomModel(Form(body)),
                ("PUT", ["cluster", "qemu", "custom-cpu-models", var model]) when HasClusterQemu => UpdateCustomModel(model, Form(body)),
                (_, ["nodes", var node, .. var rest]) => NodeRoute(method, node, rest, query, body, principal),
                (_, ["cluster", "ha", ..]) when Require("/", FakeHa.Privilege(method)) is { } denied => denied,
                (_, ["cluster", "ha", ..]) when _ha.Route(method, segments, _options.Release.VersionString, key => body?[key].FirstOrDefault() ?? (method == "DELETE" ? query[key].FirstOrDefault() : null)) is { } ha =>
                    ha.Status == 200 ? Answer.Data(ha.Data) : Answer.Error(ha.Status, ha.Reason),
                _ => Answer.Error(501, $"Method '{method} {apiPath}' not implemented"),
            };
            return abortAfter ? Answer.Abort : answer;
        }
    }

    private Answer NodeRoute(string method, string nodeName, string[] rest, IQueryCollection query, IFormCollection? body, string principal)
    {
        var node = _cluster.Nodes.FirstOrDefault(n => n.Name == nodeName);
        if (node is null)
        {
            return Answer.Error(500, $"hostname lookup '{nodeName}' failed - failed to get address info for: {nodeName}: Name or service not known");
        }

        if (node.Offline)
        {
            // pveproxy forwards /nodes/<node>/... to that node; when it cannot connect it answers 595 itself.
            return Answer.Error(595, node.Slow ? "Connection timed out" : "No route to host");
        }

        switch (method, rest)
        {
            case ("GET", ["status"]):
                return Require($"/nodes/{nodeName}", "Sys.Audit") ?? NodeStatus(node);
            case ("GET", ["capabilities", "qemu", "cpu"]):
                return CpuModels();
            case ("GET", ["tasks", var upid, "status"]):
                return _tasks.TryGetValue(upid, out var exit)
                    ? Answer.Data(new JsonObject { ["upid"] = upid, ["node"] = nodeName, ["status"] = "stopped", ["exitstatus"] = exit, ["type"] = "qmconfig" })
                    : Answer.Error(500, $"no such task");
            case (_, ["qemu", var id, .. var vmRest]):
                if (!int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var vmId))
                {
                    return Answer.Error(400, "Parameter verification failed.", new JsonObject { ["vmid"] = "type check ('integer') failed - got '" + id + "'" });
                }

                if (!_cluster.Guests.TryGetValue(vmId, out var guest) || guest.Type != "qemu" || guest.Node != nodeName)
                {
                    if (Require($"/vms/{vmId}", "VM.Audit") is { } denied)
                    {
                        return denied;
                    }

                    return Answer.Error(500, $"Configuration file 'nodes/{nodeName}/qemu-server/{vmId}.conf' does not exist");
                }

                return VmRoute(method, guest, vmRest, query, body, principal);
            default:
                return Answer.Error(501, $"Method '{method} /nodes/{nodeName}/{string.Join('/', rest)}' not implemented");
        }
    }

    private Answer VmRoute(string method, FakeGuest guest, string[] rest, IQueryCollection query, IFormCollection? body, string principal)
    {
        switch (method, rest)
        {
            case ("GET", ["config"]):
                return RequireVm(guest, "VM.Audit") ?? VmConfig(guest, query["current"].ToString() == "1", query["snapshot"].ToString());
            case ("GET", ["pending"]):
                return RequireVm(guest, "VM.Audit") ?? Pending(guest);
            case ("GET", ["snapshot"]):
                return RequireVm(guest, "VM.Audit") ?? SnapshotList(guest);
            case ("GET", ["status", "current"]):
                // A paused VM is running to Proxmox: status "running", qmpstatus "paused".
                return RequireVm(guest, "VM.Audit") ?? Answer.Data(new JsonObject
                {
                    ["vmid"] = guest.VmId, ["status"] = guest.IsRunning ? "running" : guest.Status, ["qmpstatus"] = guest.Status, ["name"] = guest.Config.Get("", "name"),
                });
            case ("PUT" or "POST", ["config"]):
                var (status, reason, fieldErrors) = UpdateConfig(guest, body, principal);
                if (method == "PUT")
                {
                    return status == 200 ? Answer.Data(null) : Answer.Error(status, reason, fieldErrors);
                }

                if (status == 400)
                {
                    return Answer.Error(status, reason, fieldErrors);
                }

                // POST runs the update as a task: failures surface as the task's exit status.
                var upid = string.Format(CultureInfo.InvariantCulture, "UPID:{0}:{1:X8}:{2:X8}:{3:X8}:qmconfig:{4}:{5}:", guest.Node, Environment.ProcessId, ++_taskCounter, _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds(), guest.VmId, FakeProxmox.Username);
                _tasks[upid] = status == 200 ? "OK" : reason;
                return Answer.Data(JsonValue.Create(upid));
            default:
                return Answer.Error(501, $"Method '{method} /nodes/{guest.Node}/qemu/{guest.VmId}/{string.Join('/', rest)}' not implemented");
        }
    }

    private (int Status, string Reason, JsonObject? Errors) UpdateConfig(FakeGuest guest, IFormCollection? form, string principal)
    {
        var changes = new List<KeyValuePair<string, string>>();
        var deletes = new List<string>();
        var reverts = new List<string>();
        string? digest = null;
        foreach (var (key, values) in form ?? (IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>>)[])
        {
            var value = values.ToString();
            switch (key)
            {
                case "digest":
                    digest = value;
                    break;
                case "delete":
                    deletes.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "revert":
                    reverts.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "skiplock" or "background_delay":
                    break;
                default:
                    if (value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal))
                    {
                        return (400, "Parameter verification failed.", new JsonObject { [key] = "value must not contain a line break" });
                    }

                    if (!IsVmOption(key))
                    {
                        return (400, "Parameter verification failed.", new JsonObject { [key] = "property is not defined in schema and the schema does not allow additional properties" });
                    }

                    // PUT/POST .../config verify the cpu value strictly (qemu-server CPUConfig.pm validate_vm_cpu_conf):
                    // 400 with the reason per parameter, nothing written.
                    if (key == "cpu" && ProxClmc.Guard.Core.Guests.GuestCpu.VmConfigRejection(value, IsKnownCpuModel) is { } refused)
                    {
                        return (400, "Parameter verification failed.", new JsonObject { [key] = $"invalid format - {refused}\n" });
                    }

                    changes.Add(new(key, value));
                    break;
            }
        }

        // revert= (qemu-server src/PVE/API2/Qemu.pm, update_vm_api, commit e6352be6): each option must exist and must not
        // also be set or deleted in the same call; its permission is not checked (it only ever restores what is there).
        foreach (var key in reverts)
        {
            if (!IsVmOption(key))
            {
                return (400, "Parameter verification failed.", new JsonObject { ["revert"] = $"unknown option '{key}'" });
            }

            if (changes.Any(c => c.Key == key))
            {
                return (400, "Parameter verification failed.", new JsonObject { ["delete"] = $"you can't use '-{key}' and -revert {key}' at the same time" });
            }

            if (deletes.Contains(key))
            {
                return (400, "Parameter verification failed.", new JsonObject { ["revert"] = $"you can't use '-delete {key}' and -revert {key}' at the same time" });
            }
        }

        // qemu-server (src/PVE/API2/Qemu.pm, check_vm_modify_config_perm, commit e6352be6): each key needs its own
        // privilege on the VM (or its pool); keys no group lists (args, lock, ...) only root@pam may set, a 500.
        foreach (var key in changes.Select(c => c.Key).Concat(deletes))
        {
            var privilege = WritePrivilege(key);
            if (privilege is null)
            {
                if (principal != Username)
                {
                    return (500, $"only root can set '{key}' config", null);
                }

                continue;
            }

            if (privilege.Length > 0 && !AllowedVm(guest, privilege))
            {
                return (403, $"Permission check failed (/vms/{guest.VmId}, {privilege})", null);
            }
        }

        // Order and texts of update_vm_api: the digest first ("checksum mismatch"), then the lock.
        var config = guest.Config;
        if (digest is not null && !string.Equals(digest, config.Digest, StringComparison.OrdinalIgnoreCase))
        {
            return (500, "checksum mismatch (file change by other user?)", null);
        }

        if (config.Get("", "lock") is { } locked)
        {
            return (500, $"VM is locked ({locked})", null);
        }

        // update_vm_api's load_and_check_config, after the digest and lock checks: a reverted option with a current value
        // is set again to that value (after the parameters were verified, so a value Proxmox would refuse to be
        // written passes), and cleanup_pending then drops the pending value as "no change"; one with only a pending
        // value is deleted. Either way the pending change (and a pending delete) of that option is gone.
        foreach (var key in reverts)
        {
            if (config.Get("", key) is { } currentValue)
            {
                changes.Add(new(key, currentValue));
            }
            else if (config.Get("PENDING", key) is not null)
            {
                deletes.Add(key);
            }
        }

        // cpu (like most options) cannot be hot-plugged: on a running (or paused) VM the change waits in [PENDING]
        // for the next cold start.
        var running = guest.IsRunning;
        var pendingDeletes = config.PendingDeletes();
        foreach (var (key, value) in changes)
        {
            if (running)
            {
                config.Set("PENDING", key, value);
            }
            else
            {
                config.Set("", key, value);
                config.Remove("PENDING", key);
            }

            pendingDeletes.Remove(key);
        }

        foreach (var key in deletes)
        {
            if (running)
            {
                config.Remove("PENDING", key);
                if (!pendingDeletes.Contains(key))
                {
                    pendingDeletes.Add(key);
                }
            }
            else
            {
                config.Remove("", key);
                config.Remove("PENDING", key);
                pendingDeletes.Remove(key);
            }
        }

        if (running)
        {
            // PVE::QemuConfig->cleanup_pending: a pending value equal to the current one is no change, and a pending
            // delete of a key that is not set deletes nothing; both are dropped.
            foreach (var (key, value) in config.Values("PENDING").Where(kv => kv.Key != "delete").ToList())
            {
                if (config.Get("", key) == value)
                {
                    config.Remove("PENDING", key);
                }
            }

            pendingDeletes.RemoveAll(key => config.Get("", key) is null);
        }

        if (config.HasSection("PENDING") || pendingDeletes.Count > 0)
        {
            config.SetPendingDeletes(pendingDeletes);
        }

        return (200, "OK", null);
    }

    private bool IsKnownCpuModel(string cputype) =>
        cputype is "host" or "max"
        || (cputype.StartsWith("custom-", StringComparison.Ordinal)
            ? FakeCluster.ParseCpuModels(_cluster.CpuModelsConf ?? "").Any(m => "custom-" + m.Name == cputype)
            : ProxClmc.Guard.Core.Catalog.CpuCatalog.Default.TryGetModel(cputype, out var model) && model is not null);

    private Answer Login(string username, string password, string realm)
    {
        if (!username.Contains('@', StringComparison.Ordinal) && realm.Length > 0)
        {
            username += "@" + realm;
        }

        if (username is not Username and not TfaUsername || password != Password)
        {
            return Answer.Error(401, "authentication failure");
        }

        if (username == TfaUsername)
        {
            // pve-access-control (src/PVE/API2/AccessControl.pm, commit 5ccd07d9): a user with a second factor
            // gets a ticket for "!tfa!<challenge>" with NeedTFA = 1 and no cap; it opens nothing but the TFA step.
            var now2 = _options.TimeProvider.GetUtcNow();
            var half = $"PVE:!tfa!{Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}:{now2.ToUnixTimeSeconds():X8}::{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}";
            return Answer.Data(new JsonObject { ["ticket"] = half, ["CSRFPreventionToken"] = $"{now2.ToUnixTimeSeconds():X8}:x", ["username"] = username, ["NeedTFA"] = 1 });
        }

        var now = _options.TimeProvider.GetUtcNow();
        var ticket = $"PVE:{username}:{now.ToUnixTimeSeconds():X8}::{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}";
        var csrf = $"{now.ToUnixTimeSeconds():X8}:{Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=')}";
        lock (_lock)
        {
            _tickets[ticket] = (now, csrf);
        }

        return Answer.Data(new JsonObject { ["ticket"] = ticket, ["CSRFPreventionToken"] = csrf, ["username"] = username, ["cap"] = new JsonObject() });
    }

    private string? Authenticate(HttpContext context, bool isWrite, out Answer? error)
    {
        error = null;
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("PVEAPIToken=", StringComparison.Ordinal))
        {
            var value = authorization["PVEAPIToken=".Length..];
            var split = value.LastIndexOf('=');
            if (split > 0 && value[..split] == TokenId && value[(split + 1)..] == TokenSecret)
            {
                return TokenId;
            }

            error = Answer.Error(401, "authentication failure");
            return null;
        }

        var cookie = context.Request.Cookies["PVEAuthCookie"];
        if (cookie is null)
        {
            error = Answer.Error(401, "No ticket");
            return null;
        }

        lock (_lock)
        {
            if (!_tickets.TryGetValue(cookie, out var issued) || _options.TimeProvider.GetUtcNow() - issued.IssuedAt >= TicketLifetime)
            {
                error = Answer.Error(401, "authentication failure");
                return null;
            }

            if (isWrite && context.Request.Headers["CSRFPreventionToken"].ToString() != issued.Csrf)
            {
                error = Answer.Error(401, "Permission denied - invalid csrf token");
                return null;
            }
        }

        return Username;
    }

    /// <summary>The most specific ACL path that says anything about the privilege decides; nothing said means granted (a root token).</summary>
    private bool Allowed(string path, string privilege)
    {
        var allowed = true;
        var prefix = "";
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries).Prepend(""))
        {
            prefix = segment.Length == 0 ? "/" : prefix.TrimEnd('/') + "/" + segment;
            if (_acl.TryGetValue((prefix, privilege), out var entry))
            {
                allowed = entry;
            }
        }

        return allowed;
    }

    /// <summary>check_vm_perm: the privilege on /vms/&lt;vmid&gt; or on the guest's pool.</summary>
    private bool AllowedVm(FakeGuest guest, string privilege) =>
        Allowed($"/vms/{guest.VmId}", privilege) || (guest.Pool is { } pool && Allowed($"/pool/{pool}", privilege));

    private Answer? Require(string path, string privilege) =>
        Allowed(path, privilege) ? null : Answer.Error(403, $"Permission check failed ({path}, {privilege})");

    private Answer? RequireVm(FakeGuest guest, string privilege) =>
        AllowedVm(guest, privilege) ? null : Answer.Error(403, $"Permission check failed (/vms/{guest.VmId}, {privilege})");

    private TimeSpan? OfflineDelay(string nodeName)
    {
        lock (_lock)
        {
            return _cluster.Nodes.FirstOrDefault(n => n.Name == nodeName) is { Offline: true, Slow: true } ? SlowOfflineHang : null;
        }
    }

    private static readonly string[] CpuOptions = ["cores", "cpu", "runningcpu", "cpulimit", "cpuunits", "numa", "smp", "sockets", "vcpus"];
    private static readonly string[] MemoryOptions = ["memory", "balloon", "shares", "allow-ksm"];
    private static readonly string[] HwTypeOptions = ["acpi", "hotplug", "kvm", "machine", "runningmachine", "scsihw", "smbios1", "tablet", "vga", "watchdog", "audio0", "rng0"];
    private static readonly string[] GeneralOptions = ["agent", "autostart", "bios", "description", "keyboard", "localtime", "migrate_downtime", "migrate_speed", "name", "onboot", "ostype", "protection", "reboot", "startdate", "startup", "tdf", "template"];
    private static readonly string[] RootOnlyOptions = ["args", "hookscript", "lock", "affinity", "vmgenid", "meta", "cpuunits-legacy"];

    /// <summary>The privilege a key needs; "" for keys checked elsewhere (disks, tags); null for root-only keys.</summary>
    private static string? WritePrivilege(string key)
    {
        if (key == "tags" || System.Text.RegularExpressions.Regex.IsMatch(key, "^(?:ide|sata|scsi|virtio|efidisk|tpmstate|unused|serial|usb|hostpci|virtiofs)\\d+$") || key == "cdrom")
        {
            return "";
        }

        if (CpuOptions.Contains(key) || System.Text.RegularExpressions.Regex.IsMatch(key, "^numa\\d+$"))
        {
            return "VM.Config.CPU";
        }

        if (MemoryOptions.Contains(key))
        {
            return "VM.Config.Memory";
        }

        if (HwTypeOptions.Contains(key))
        {
            return "VM.Config.HWType";
        }

        if (GeneralOptions.Contains(key))
        {
            return "VM.Config.Options";
        }

        if (key == "freeze")
        {
            return "VM.PowerMgmt";
        }

        if (key is "boot" or "bootdisk" or "vmstatestorage")
        {
            return "VM.Config.Disk";
        }

        if (System.Text.RegularExpressions.Regex.IsMatch(key, "^(?:net|ipconfig)\\d+$") || key is "cicustom" or "cipassword" or "citype" or "ciuser" or "ciupgrade" or "nameserver" or "searchdomain" or "sshkeys")
        {
            return "VM.Config.Network";
        }

        return null;
    }

    /// <summary>A key of the VM config schema (anything else is refused with "Parameter verification failed.").</summary>
    private static bool IsVmOption(string key) => WritePrivilege(key) is not null || RootOnlyOptions.Contains(key);

    private Answer Permissions()
    {
        var result = new JsonObject();
        foreach (var path in _acl.Keys.Select(r => r.Path).Append("/").Append("/vms").Append("/nodes").Distinct().Order(StringComparer.Ordinal))
        {
            var privileges = new JsonObject();
            foreach (var privilege in AllPrivileges.Where(p => Allowed(path, p)))
            {
                privileges[privilege] = 1;
            }

            result[path] = privileges;
        }

        return Answer.Data(result);
    }

    private Answer ClusterStatus()
    {
        // A node that was never joined to a cluster lists only itself, with nodeid 0 and no cluster entry.
        // A node that drops packets is still counted online until corosync's token times out.
        var list = new JsonArray();
        if (!_cluster.IsStandalone)
        {
            list.Add(new JsonObject
            {
                ["type"] = "cluster", ["id"] = "cluster", ["name"] = _cluster.ClusterName, ["nodes"] = _cluster.Nodes.Count,
                ["quorate"] = _cluster.Nodes.Count(n => !n.Offline || n.Slow) * 2 > _cluster.Nodes.Count ? 1 : 0, ["version"] = 7,
            });
        }

        for (var i = 0; i < _cluster.Nodes.Count; i++)
        {
            var node = _cluster.Nodes[i];
            list.Add(new JsonObject
            {
                ["type"] = "node", ["id"] = $"node/{node.Name}", ["name"] = node.Name, ["nodeid"] = _cluster.IsStandalone ? 0 : node.NodeId, ["ip"] = node.Ip,
                ["online"] = node.Offline && !node.Slow ? 0 : 1, ["local"] = i == 0 ? 1 : 0, ["level"] = "",
            });
        }

        return Answer.Data(list);
    }

    private Answer Resources(string type)
    {
        var list = new JsonArray();
        if (type is "" or "node")
        {
            foreach (var node in _cluster.Nodes.Where(n => Allowed($"/nodes/{n.Name}", "Sys.Audit")))
            {
                list.Add(new JsonObject { ["id"] = $"node/{node.Name}", ["type"] = "node", ["node"] = node.Name, ["status"] = node.Offline ? "offline" : "online" });
            }
        }

        if (type is "" or "vm")
        {
            // Proxmox leaves out, without a word, every guest the caller has no VM.Audit on.
            foreach (var guest in _cluster.Guests.Values.Where(g => AllowedVm(g, "VM.Audit")))
            {
                var node = _cluster.Nodes.First(n => n.Name == guest.Node);
                var config = guest.Config;
                var entry = new JsonObject
                {
                    ["id"] = $"{guest.Type}/{guest.VmId}", ["vmid"] = guest.VmId, ["node"] = guest.Node, ["type"] = guest.Type,
                    ["status"] = node.Offline ? "unknown" : guest.IsRunning ? "running" : guest.Status, ["maxcpu"] = int.TryParse(config.Get("", "cores"), CultureInfo.InvariantCulture, out var cores) ? cores : 1,
                };

                // pvestatd has not reported an offline node's guests: no name and template until it does.
                if (!node.Offline)
                {
                    entry["name"] = config.Get("", guest.Type == "lxc" ? "hostname" : "name") ?? $"VM {guest.VmId}";
                    entry["template"] = config.Get("", "template") == "1" ? 1 : 0;
                }

                if (config.Get("", "lock") is { } lockValue)
                {
                    entry["lock"] = lockValue;
                }

                if (config.Get("", "tags") is { } tags)
                {
                    entry["tags"] = tags;
                }

                if (guest.Pool is { } pool)
                {
                    entry["pool"] = pool;
                }

                if (guest.HaState is { } haState)
                {
                    entry["hastate"] = haState;
                }

                list.Add(entry);
            }
        }

        return Answer.Data(list);
    }

    private Answer NodeStatus(FakeNode node)
    {
        var cpuinfo = new JsonObject { ["hvm"] = "1", ["user_hz"] = 100 };
        if (node.CpuInfoText is { } text)
        {
            var (model, flags, cpus, sockets) = FakeCluster.ReadCpuInfo(text);
            if (_options.Release.HasCpuVendorFamily)
            {
                var (vendor, family) = FakeCluster.ReadVendorFamily(text);
                cpuinfo["vendor"] = vendor ?? "unknown";
                cpuinfo["family"] = family?.ToString(CultureInfo.InvariantCulture) ?? "0";
            }

            cpuinfo["model"] = model;
            cpuinfo["flags"] = flags;
            cpuinfo["cpus"] = cpus;
            cpuinfo["sockets"] = sockets;
            cpuinfo["cores"] = Math.Max(cpus / sockets, 1);
        }

        return Answer.Data(new JsonObject
        {
            ["cpuinfo"] = cpuinfo, ["pveversion"] = $"pve-manager/{_options.Release.VersionString}/fake", ["kversion"] = $"Linux {node.Kernel} #1 SMP PREEMPT_DYNAMIC",
            ["uptime"] = 86400, ["cpu"] = 0.05,
        });
    }

    /// <summary>
    /// qemu-server src/PVE/API2/Qemu/CPU.pm (commit e6352be6): custom models only for Sys.Audit on /nodes or, from
    /// qemu-server 9.1.13 on, a Mapping privilege on /mapping/cpu/&lt;name&gt;; the others are left out without a word.
    /// </summary>
    private Answer CpuModels()
    {
        var list = new JsonArray();
        foreach (var (name, vendor) in BuiltInModels)
        {
            list.Add(new JsonObject { ["name"] = name, ["vendor"] = vendor, ["custom"] = 0 });
        }

        if (_cluster.CpuModelsConf is { } conf)
        {
            foreach (var (name, properties) in FakeCluster.ParseCpuModels(conf))
            {
                if (!Allowed("/nodes", "Sys.Audit") && !(_options.Release.CapabilitiesHonourMappingPrivileges && SeesMapping(name)))
                {
                    continue;
                }

                var reported = properties.FirstOrDefault(p => p.Key == "reported-model").Value ?? "kvm64";
                list.Add(new JsonObject { ["name"] = "custom-" + name, ["vendor"] = BuiltInModels.FirstOrDefault(m => m.Name == reported).Vendor ?? "default", ["custom"] = 1 });
            }
        }

        return Answer.Data(list);
    }

    private static readonly (string Name, string Vendor)[] BuiltInModels =
    [
        ("host", "default"), ("max", "default"), ("kvm64", "default"), ("qemu64", "default"),
        ("x86-64-v2", "default"), ("x86-64-v2-AES", "default"), ("x86-64-v3", "default"), ("x86-64-v4", "default"),
        ("Nehalem", "GenuineIntel"), ("Westmere", "GenuineIntel"), ("SandyBridge", "GenuineIntel"), ("IvyBridge", "GenuineIntel"),
        ("Haswell", "GenuineIntel"), ("Broadwell", "GenuineIntel"), ("Skylake-Server", "GenuineIntel"), ("Cascadelake-Server", "GenuineIntel"),
        ("Icelake-Server", "GenuineIntel"), ("SapphireRapids", "GenuineIntel"),
        ("Opteron_G3", "AuthenticAMD"), ("Opteron_G5", "AuthenticAMD"), ("EPYC", "AuthenticAMD"), ("EPYC-Rome", "AuthenticAMD"),
        ("EPYC-Milan", "AuthenticAMD"), ("EPYC-Genoa", "AuthenticAMD"),
    ];

    /// <summary>See <see cref="FakeCpuFlags"/>: parameters first, then the <c>or</c> permission check, then the list.</summary>
    private Answer CpuFlags(IQueryCollection query)
    {
        var errors = new JsonObject();
        foreach (var key in query.Keys.Where(k => k is not ("accel" or "arch")))
        {
            errors[key] = "property is not defined in schema and the schema does not allow additional properties";
        }

        var accel = query.TryGetValue("accel", out var a) ? a.ToString() : "kvm";
        var arch = query.TryGetValue("arch", out var r) ? r.ToString() : "x86_64";
        if (accel is not ("kvm" or "tcg"))
        {
            errors["accel"] = $"value '{accel}' does not have a value in the enumeration 'kvm, tcg'";
        }

        if (arch is not ("x86_64" or "aarch64"))
        {
            errors["arch"] = $"value '{arch}' does not have a value in the enumeration 'x86_64, aarch64'";
        }

        if (errors.Count > 0)
        {
            return Answer.Error(400, "Parameter verification failed.", errors);
        }

        var allowed = Allowed("/nodes", "Sys.Audit") || Allowed("/mapping/cpu", "Mapping.Audit") || Allowed("/mapping/cpu", "Mapping.Use") || Allowed("/mapping/cpu", "Mapping.Modify");
        if (!allowed)
        {
            return Answer.Error(403, "Permission check failed");
        }

        var answer = FakeCpuFlags.Answer(_cluster.Nodes, accel, arch);
        return _options.CpuFlagsAnswerBytes is { } size
            ? Answer.Data(null) with { Bytes = FakeCpuFlags.Inflated(answer, _cluster.Nodes.Select(n => n.Name).ToList(), size) }
            : Answer.Data(answer);
    }

    private bool SeesMapping(string model) =>
        Allowed($"/mapping/cpu/{model}", "Mapping.Audit") || Allowed($"/mapping/cpu/{model}", "Mapping.Use") || Allowed($"/mapping/cpu/{model}", "Mapping.Modify");

    /// <summary>pve-manager PVE/API2/Cluster/Qemu/CustomCPUModels.pm (9.1.15+): every model the caller may see through a Mapping privilege.</summary>
    private Answer CustomModels()
    {
        var list = new JsonArray();
        var digest = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(_cluster.CpuModelsConf ?? "")));
        foreach (var (name, properties) in FakeCluster.ParseCpuModels(_cluster.CpuModelsConf ?? ""))
        {
            if (!SeesMapping(name))
            {
                continue;
            }

            var entry = new JsonObject { ["cputype"] = "custom-" + name, ["digest"] = digest };
            foreach (var (key, value) in properties)
            {
                entry[key] = key is "hidden" ? (JsonNode)(value == "1" ? 1 : 0) : value;
            }

            list.Add(entry);
        }

        return Answer.Data(list);
    }

    /// <summary>The CPU model options a POST or PUT may carry (qemu-server CPUConfig.pm, the cpu format), sorted as SectionConfig writes them.</summary>
    private static readonly string[] CpuModelKeys = ["flags", "guest-phys-bits", "hidden", "hv-vendor-id", "level", "phys-bits", "reported-model"];

    private static Dictionary<string, string> Form(IFormCollection? body) =>
        body is null ? [] : body.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);

    /// <summary>Replaces cpu-models.conf as another administrator would (its digest changes).</summary>
    public void SetCpuModelsConf(string? text)
    {
        lock (_lock)
        {
            _cluster.CpuModelsConf = text;
        }
    }

    public string? GetCpuModelsConf()
    {
        lock (_lock)
        {
            return _cluster.CpuModelsConf;
        }
    }

    /// <summary>
    /// pve-manager PVE/API2/Cluster/Qemu/CustomCPUModels.pm 'create' (commits db32d51e, 013e8d41): Mapping.Modify on
    /// /mapping/cpu, 'custom-' prefix optional, 'reported-model' required, no digest, refused when the name exists;
    /// the file is written back whole the way SectionConfig write_config does.
    /// </summary>
    private Answer CreateCustomModel(Dictionary<string, string> form)
    {
        if (Require("/mapping/cpu", "Mapping.Modify") is { } denied)
        {
            return denied;
        }

        var name = form.GetValueOrDefault("cputype") ?? "";
        name = name.StartsWith("custom-", StringComparison.Ordinal) ? name["custom-".Length..] : name;
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z][a-z0-9_-]+$", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
        {
            return Answer.Error(400, "Parameter verification failed.", new JsonObject { ["cputype"] = $"invalid configuration ID '{name}'" });
        }

        if (!form.ContainsKey("reported-model"))
        {
            return Answer.Error(400, "Parameter verification failed.", new JsonObject { ["reported-model"] = "property is missing and it is not optional" });
        }

        if (form.Keys.FirstOrDefault(k => k != "cputype" && !CpuModelKeys.Contains(k)) is { } unknown)
        {
            return Answer.Error(400, "Parameter verification failed.", new JsonObject { [unknown] = "property is not defined in schema and the schema does not allow additional properties" });
        }

        var models = FakeCluster.ParseCpuModels(_cluster.CpuModelsConf ?? "");
        if (models.Exists(m => m.Name == name))
        {
            return Answer.Error(500, $"custom CPU model '{name}' already exists");
        }

        models.Add((name, form.Where(p => p.Key != "cputype").Select(p => new KeyValuePair<string, string>(p.Key, p.Value)).ToList()));
        _cluster.CpuModelsConf = WriteCpuModels(models);
        return Answer.Data(null);
    }

    /// <summary>
    /// 'update' (PUT {cputype}): Mapping.Modify on /mapping/cpu/{cputype}; an optional digest of the whole file that
    /// must match (PVE::SectionConfig::assert_if_modified); 'delete' drops properties (never reported-model); the model
    /// must exist; given properties replace the old ones.
    /// </summary>
    private Answer UpdateCustomModel(string model, Dictionary<string, string> form)
    {
        var name = model.StartsWith("custom-", StringComparison.Ordinal) ? model["custom-".Length..] : model;
        if (Require($"/mapping/cpu/{name}", "Mapping.Modify") is { } denied)
        {
            return denied;
        }

        var text = _cluster.CpuModelsConf ?? "";
        if (form.TryGetValue("digest", out var digest) && digest.Length > 0
            && !string.Equals(digest, Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text))), StringComparison.Ordinal))
        {
            return Answer.Error(500, "detected modified configuration - file changed by other user? Try again.");
        }

        var delete = form.TryGetValue("delete", out var d) ? d.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries) : [];
        if (delete.Contains("reported-model"))
        {
            return Answer.Error(500, "cannot delete 'reported-model'");
        }

        var models = FakeCluster.ParseCpuModels(text);
        var index = models.FindIndex(m => m.Name == name);
        if (index < 0)
        {
            return Answer.Error(500, $"custom CPU model '{name}' does not exist");
        }

        var properties = models[index].Properties.Where(p => !delete.Contains(p.Key) && !form.ContainsKey(p.Key)).ToList();
        properties.AddRange(form.Where(p => p.Key is not ("cputype" or "digest" or "delete")).Select(p => new KeyValuePair<string, string>(p.Key, p.Value)));
        models[index] = (name, properties);
        _cluster.CpuModelsConf = WriteCpuModels(models);
        return Answer.Data(null);
    }

    /// <summary>SectionConfig write_config: each section as 'cpu-model: name', its properties sorted, reported-model defaulting to kvm64, then a blank line.</summary>
    private static string WriteCpuModels(List<(string Name, List<KeyValuePair<string, string>> Properties)> models)
    {
        var text = new StringBuilder();
        foreach (var (name, properties) in models)
        {
            text.Append("cpu-model: ").Append(name).Append('\n');
            var values = properties.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
            values.TryAdd("reported-model", "kvm64");
            foreach (var key in values.Keys.Order(StringComparer.Ordinal))
            {
                if (values[key].Length > 0)
                {
                    text.Append('\t').Append(key).Append(' ').Append(values[key]).Append('\n');
                }
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Integer-typed options come back as JSON numbers, the rest as strings, as Proxmox's schema makes them.</summary>
    private static readonly HashSet<string> NumericKeys =
        ["memory", "balloon", "cores", "sockets", "vcpus", "kvm", "template", "onboot", "acpi", "numa", "tablet", "vmstate", "shares", "cpuunits", "freeze", "protection", "reboot", "localtime"];

    private static JsonObject ValuesObject(IEnumerable<KeyValuePair<string, string>> values)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in values)
        {
            obj[key] = NumericKeys.Contains(key) && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : value;
        }

        return obj;
    }

    private static Answer VmConfig(FakeGuest guest, bool current, string snapshot)
    {
        var config = guest.Config;
        if (snapshot.Length > 0)
        {
            if (!config.SnapshotNames.Contains(snapshot))
            {
                return Answer.Error(500, $"snapshot '{snapshot}' does not exist");
            }

            var snap = ValuesObject(config.Values(snapshot));
            snap["digest"] = config.Digest;
            return Answer.Data(snap);
        }

        var values = config.Values("");
        if (!current)
        {
            var deletes = config.PendingDeletes();
            values.RemoveAll(kv => deletes.Contains(kv.Key));
            foreach (var (key, value) in config.Values("PENDING").Where(kv => kv.Key != "delete"))
            {
                values.RemoveAll(kv => kv.Key == key);
                values.Add(new(key, value));
            }
        }

        var obj = ValuesObject(values);
        obj["digest"] = config.Digest;
        return Answer.Data(obj);
    }

    private static Answer Pending(FakeGuest guest)
    {
        var config = guest.Config;
        var main = config.Values("");
        var pending = config.Values("PENDING").Where(kv => kv.Key != "delete").ToList();
        var deletes = config.PendingDeletes();
        var list = new JsonArray();
        foreach (var key in main.Select(kv => kv.Key).Concat(pending.Select(kv => kv.Key)).Concat(deletes).Append("digest").Distinct())
        {
            var item = new JsonObject { ["key"] = key };
            if (key == "digest")
            {
                item["value"] = config.Digest;
            }
            else if (main.FirstOrDefault(kv => kv.Key == key) is { Key: not null } value)
            {
                item["value"] = ValuesObject([value])[key]!.DeepClone();
            }

            if (pending.FirstOrDefault(kv => kv.Key == key) is { Key: not null } p)
            {
                item["pending"] = ValuesObject([p])[key]!.DeepClone();
            }

            if (deletes.Contains(key))
            {
                item["delete"] = 1;
            }

            list.Add(item);
        }

        return Answer.Data(list);
    }

    private static Answer SnapshotList(FakeGuest guest)
    {
        var config = guest.Config;
        var list = new JsonArray();
        foreach (var name in config.SnapshotNames)
        {
            // qemu-server snapshot_list: vmstate always 0 or 1, description always there, snapstate while an operation runs.
            var item = new JsonObject
            {
                ["name"] = name, ["snaptime"] = long.TryParse(config.Get(name, "snaptime"), CultureInfo.InvariantCulture, out var t) ? t : 0,
                ["vmstate"] = config.Get(name, "vmstate") is not null ? 1 : 0,
                ["description"] = config.Get(name, "description") ?? "",
            };
            if (config.Get(name, "snapstate") is { } snapstate)
            {
                item["snapstate"] = snapstate;
            }

            if (config.Get(name, "parent") is { } parent)
            {
                item["parent"] = parent;
            }

            list.Add(item);
        }

        var current = new JsonObject { ["name"] = "current", ["description"] = "You are here!", ["running"] = guest.IsRunning ? 1 : 0 };
        if (config.Get("", "parent") is { } currentParent)
        {
            current["parent"] = currentParent;
        }

        list.Add(current);
        return Answer.Data(list);
    }

    private sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class Fault(string pathContains, string? method, int remaining, int status, string reason, string? rawBody)
    {
        public string PathContains { get; } = pathContains;

        public string? Method { get; } = method;

        public int Remaining { get; set; } = remaining;

        public int Status { get; } = status;

        public string Reason { get; } = reason;

        public string? RawBody { get; } = rawBody;
    }

    private sealed record Answer(int Status, string Reason, string Body)
    {
        /// <summary>A body too large for a string: sent as these bytes instead of <see cref="Body"/>.</summary>
        public byte[]? Bytes { get; init; }

        private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        /// <summary>No answer at all: the connection is cut (logged with status 0).</summary>
        public static readonly Answer Abort = new(0, "", "");

        public static Answer Data(JsonNode? data) =>
            new(200, "OK", new JsonObject { ["data"] = data }.ToJsonString(Json));

        public static Answer Error(int status, string reason, JsonObject? errors = null)
        {
            if (status == 401)
            {
                // pve-http-server answers an authentication failure with the reason phrase and no body.
                return new(status, reason, "");
            }

            var body = new JsonObject { ["data"] = null };
            if (errors is not null)
            {
                body["errors"] = errors;
            }

            return new(status, reason, body.ToJsonString(Json));
        }
    }
}
