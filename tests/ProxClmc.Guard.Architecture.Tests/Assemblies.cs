using System.Reflection;
using ArchUnitNET.Loader;
using ArchitectureModel = ArchUnitNET.Domain.Architecture;

namespace ProxClmc.Guard.Architecture.Tests;

/// <summary>
/// The four assemblies of proxclmc-guard, loaded once from the test's output folder. They are loaded by name, not
/// through a type, so a layer that holds no type yet (or only internal ones) is checked all the same.
/// </summary>
internal static class Assemblies
{
    public const string CoreName = "ProxClmc.Guard.Core";
    public const string ApplicationName = "ProxClmc.Guard.Application";
    public const string InfrastructureName = "ProxClmc.Guard.Infrastructure";
    public const string ExecutableName = "proxclmc-guard";

    /// <summary>The namespace of the executable's composition root, the one place that builds adapters.</summary>
    public const string CompositionNamespace = "ProxClmc.Guard.Composition";

    public static readonly Assembly Core = Load(CoreName);
    public static readonly Assembly Application = Load(ApplicationName);
    public static readonly Assembly Infrastructure = Load(InfrastructureName);
    public static readonly Assembly Executable = Load(ExecutableName);

    public static readonly ArchitectureModel Model =
        new ArchLoader().LoadAssemblies(Core, Application, Infrastructure, Executable).Build();

    private static Assembly Load(string name) => Assembly.Load(new AssemblyName(name));
}
