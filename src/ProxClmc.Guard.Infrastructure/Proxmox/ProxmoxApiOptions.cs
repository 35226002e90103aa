using System.Globalization;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// How to reach the Proxmox VE API: the <c>[api]</c> section of the configuration, with secrets already read from
/// their files (see <see cref="Security.SecretFile"/>).
/// </summary>
public sealed record ProxmoxApiOptions
{
    public const string DefaultCaFile = "/etc/pve/pve-root-ca.pem";

    /// <summary>
    /// <c>api.url</c>: one or more nodes, tried in order; the first that answers is used. Accepted forms:
    /// <c>https://pve1:8006</c>, <c>https://pve1:8006/api2/json</c>, <c>pve1</c>, <c>10.0.0.1:8006</c>.
    /// </summary>
    public required IReadOnlyList<string> Urls { get; init; }

    /// <summary><c>api.token_id</c>: <c>user@realm!tokenname</c>.</summary>
    public string? TokenId { get; init; }

    /// <summary>The token's secret (UUID), read from <c>api.token_secret_file</c>.</summary>
    public string? TokenSecret { get; init; }

    /// <summary><c>api.username</c>: <c>user@realm</c>, for ticket authentication.</summary>
    public string? Username { get; init; }

    /// <summary>Read from <c>api.password_file</c>.</summary>
    public string? Password { get; init; }

    /// <summary><c>api.ca_file</c>: the cluster CA the node certificates are signed by.</summary>
    public string? CaFile { get; init; } = DefaultCaFile;

    /// <summary><c>api.fingerprint</c>: SHA-256 of the node certificate, "AA:BB:..." or plain hex. Replaces the CA check.</summary>
    public string? Fingerprint { get; init; }

    /// <summary><c>api.insecure_skip_verify</c>: accept any certificate (the caller must warn on every run).</summary>
    public bool InsecureSkipVerify { get; init; }

    /// <summary><c>api.timeout_seconds</c>: the limit for one HTTP call, including reading its answer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>api.parallelism</c>: at most this many per-VM and per-node reads at once.</summary>
    public int Parallelism { get; init; } = 8;

    /// <summary>The proxy to use (<c>[api] proxy</c>); null means a direct connection, whatever HTTPS_PROXY says.</summary>
    public Uri? Proxy { get; init; }

    /// <summary>Attempts for a GET (the first one included) on connection errors and 5xx answers. Writes get one.</summary>
    public int GetAttempts { get; init; } = 3;

    /// <summary>Delay before the first GET retry; doubled for each further retry.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A ticket lives 2 hours; it is renewed once it is this old, so a long run never sends an expired one.
    /// </summary>
    public TimeSpan TicketRenewAfter { get; init; } = TimeSpan.FromMinutes(100);

    /// <summary>
    /// The <c>[api]</c> section as the configuration gives it: reads the secret files (mode 0600/0400, else
    /// <see cref="GuardConfigurationException"/>) and validates the combination. Null keys take their defaults.
    /// </summary>
    public static ProxmoxApiOptions FromConfig(
        IReadOnlyList<string> urls,
        string? tokenId = null,
        string? tokenSecretFile = null,
        string? username = null,
        string? passwordFile = null,
        string? caFile = null,
        string? fingerprint = null,
        bool insecureSkipVerify = false,
        double? timeoutSeconds = null,
        int? parallelism = null)
    {
        var useToken = !string.IsNullOrWhiteSpace(tokenId);
        if (useToken && string.IsNullOrWhiteSpace(tokenSecretFile))
        {
            throw new GuardConfigurationException("api.token_secret_file: required with api.token_id");
        }

        if (!useToken && !string.IsNullOrWhiteSpace(username) && string.IsNullOrWhiteSpace(passwordFile))
        {
            throw new GuardConfigurationException("api.password_file: required with api.username");
        }

        var options = new ProxmoxApiOptions
        {
            Urls = urls,
            TokenId = useToken ? tokenId!.Trim() : null,
            TokenSecret = useToken ? Security.SecretFile.Read(tokenSecretFile!, "api.token_secret_file") : null,
            Username = useToken ? null : username?.Trim(),
            Password = !useToken && !string.IsNullOrWhiteSpace(username) ? Security.SecretFile.Read(passwordFile!, "api.password_file") : null,
            CaFile = string.IsNullOrWhiteSpace(caFile) ? DefaultCaFile : caFile,
            Fingerprint = string.IsNullOrWhiteSpace(fingerprint) ? null : fingerprint,
            InsecureSkipVerify = insecureSkipVerify,
            Timeout = timeoutSeconds is { } seconds ? TimeoutFromSeconds(seconds) : TimeSpan.FromSeconds(30),
            Parallelism = parallelism ?? 8,
        };
        options.Validate();
        return options;
    }

    /// <summary>Maps the <c>[api] timeout_seconds</c> key, validating it.</summary>
    public static TimeSpan TimeoutFromSeconds(double seconds) =>
        seconds > 0 && seconds <= 3600
            ? TimeSpan.FromSeconds(seconds)
            : throw new GuardConfigurationException($"api.timeout_seconds: {seconds.ToString(CultureInfo.InvariantCulture)} is out of range (1..3600)");

    internal bool UsesToken => !string.IsNullOrEmpty(TokenId);

    /// <summary>The principal shown in messages (token id or user name), never the secret.</summary>
    internal string Principal => UsesToken ? TokenId! : Username ?? "";

    /// <summary>Checks the combination of keys; throws <see cref="GuardConfigurationException"/> (exit 78).</summary>
    public void Validate()
    {
        if (Urls.Count == 0)
        {
            throw new GuardConfigurationException("api.url: no URL given (for example url = \"https://pve1:8006\")");
        }

        foreach (var url in Urls)
        {
            NormalizeUrl(url);
        }

        if (UsesToken)
        {
            if (!TokenId!.Contains('@', StringComparison.Ordinal) || !TokenId.Contains('!', StringComparison.Ordinal))
            {
                throw new GuardConfigurationException($"api.token_id: \"{TokenId}\" is not of the form user@realm!tokenname");
            }

            if (string.IsNullOrEmpty(TokenSecret))
            {
                throw new GuardConfigurationException("api.token_secret_file: required with api.token_id");
            }
        }
        else if (!string.IsNullOrEmpty(Username))
        {
            if (!Username.Contains('@', StringComparison.Ordinal))
            {
                throw new GuardConfigurationException($"api.username: \"{Username}\" has no realm (for example root@pam)");
            }

            if (string.IsNullOrEmpty(Password))
            {
                throw new GuardConfigurationException("api.password_file: required with api.username");
            }
        }
        else
        {
            throw new GuardConfigurationException("api: set token_id and token_secret_file (or username and password_file)");
        }

        if (Fingerprint is not null)
        {
            ParseFingerprint(Fingerprint);
        }

        if (Parallelism is < 1 or > 256)
        {
            throw new GuardConfigurationException($"api.parallelism: {Parallelism} is out of range (1..256)");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new GuardConfigurationException("api.timeout_seconds: must be positive");
        }
    }

    /// <summary>The API base (<c>https://host:port/api2/json</c>) of one <c>api.url</c> entry.</summary>
    public static Uri NormalizeUrl(string url)
    {
        var text = url.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "https://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host))
        {
            throw new GuardConfigurationException($"api.url: \"{url}\" is not an https URL (for example https://pve1:8006)");
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new GuardConfigurationException($"api.url: \"{url}\" must not have a query or fragment");
        }

        var port = uri.IsDefaultPort && !text.Contains(":443", StringComparison.Ordinal) ? 8006 : uri.Port;
        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.Length == 0)
        {
            path = "/api2/json";
        }
        else if (!path.EndsWith("/api2/json", StringComparison.Ordinal))
        {
            throw new GuardConfigurationException($"api.url: \"{url}\" has path {uri.AbsolutePath}; give the node only (https://pve1:8006) or end in /api2/json");
        }

        return new UriBuilder(Uri.UriSchemeHttps, uri.Host, port, path + "/").Uri;
    }

    /// <summary>Parses <c>api.fingerprint</c> ("AA:BB:.." or hex, case-insensitive) into its 32 bytes.</summary>
    public static byte[] ParseFingerprint(string fingerprint)
    {
        var hex = fingerprint.Trim().Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
        {
            throw new GuardConfigurationException(
                $"api.fingerprint: \"{fingerprint}\" is not a SHA-256 fingerprint (64 hex digits, as `pvenode cert info` shows)");
        }

        return Convert.FromHexString(hex);
    }

    /// <summary>A fingerprint in Proxmox's own notation (<c>AB:CD:...</c>, upper case), as the web GUI and pvenode show it.</summary>
    public static string FormatFingerprint(ReadOnlySpan<byte> sha256) =>
        string.Join(':', Convert.ToHexString(sha256).Chunk(2).Select(c => new string(c)));
}
