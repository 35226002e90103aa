namespace ProxClmc.Guard.Infrastructure.Proxmox;

/// <summary>
/// An HTTP answer from Proxmox that is not a success. Proxmox puts its message in the HTTP reason phrase
/// (<see cref="Reason"/>): "Permission check failed (/vms/100, VM.Audit)", "VM is locked (backup)", ...
/// Thrown to callers as the inner exception of a <see cref="Core.Sources.SourceUnavailableException"/>.
/// </summary>
public sealed class ProxmoxApiException(string message, string method, string path, int statusCode, string reason, IReadOnlyDictionary<string, string> fieldErrors)
    : Exception(message)
{
    public string Method { get; } = method;

    /// <summary>The API path below /api2/json, as sent (segments percent-encoded).</summary>
    public string Path { get; } = path;

    public int StatusCode { get; } = statusCode;

    public string Reason { get; } = reason;

    /// <summary>The <c>errors</c> object of a 400 answer: parameter name to message.</summary>
    public IReadOnlyDictionary<string, string> FieldErrors { get; } = fieldErrors;

    /// <summary>595: pveproxy could not reach the node the request is for (node offline).</summary>
    public bool IsNodeUnreachable => StatusCode == 595;

    /// <summary>501 or an unknown path: the endpoint does not exist in this Proxmox version.</summary>
    public bool IsNotImplemented =>
        StatusCode == 501 || (StatusCode == 404 && !Reason.Contains("does not exist", StringComparison.OrdinalIgnoreCase));

    /// <summary>Finds the API answer behind an exception thrown by <see cref="ProxmoxClient"/>.</summary>
    public static ProxmoxApiException? From(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is ProxmoxApiException api)
            {
                return api;
            }
        }

        return null;
    }
}
