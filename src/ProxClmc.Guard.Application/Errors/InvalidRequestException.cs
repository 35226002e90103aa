namespace ProxClmc.Guard.Application.Errors;

/// <summary>
/// The request names something that is not there (a node to leave out that the cluster does not have, a file to read
/// that cannot be read): the administrator's to correct. The command line reports it as a usage error (exit 64).
/// </summary>
public sealed class InvalidRequestException(string message) : Exception(message);
