using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Composition;

/// <summary>The parts of the environment the source factory needs.</summary>
internal sealed record CliEnvironmentAccess(IFileSystem FileSystem, TimeProvider Clock, Func<string> HostName);
