namespace ProxClmc.Guard.Application.Errors;

/// <summary>
/// The use case could not reach an answer at all (no node of the cluster could be read): the command line reports
/// it as "could not determine" (exit 3).
/// </summary>
public sealed class NoAnswerException(string message) : Exception(message);
