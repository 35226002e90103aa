using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.xUnit;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace ProxClmc.Guard.Architecture.Tests;

/// <summary>
/// Which layer may use which (docs/ARCHITECTURE.md, "Layers"). A failure lists every offending type and what it
/// uses, one per line.
/// </summary>
public sealed class LayerTests
{
    private static readonly IObjectProvider<IType> Core =
        Types().That().ResideInAssembly(Assemblies.Core).As("Core");

    private static readonly IObjectProvider<IType> Application =
        Types().That().ResideInAssembly(Assemblies.Application).As("Application");

    private static readonly IObjectProvider<IType> Infrastructure =
        Types().That().ResideInAssembly(Assemblies.Infrastructure).As("Infrastructure");

    private static readonly IObjectProvider<IType> Executable =
        Types().That().ResideInAssembly(Assemblies.Executable).As("the executable");

    [Fact]
    public void Core_depends_on_none_of_our_other_assemblies()
    {
        IArchRule rule = Types().That().Are(Core).Should()
            .NotDependOnAny(Types().That().Are(Application).Or().Are(Infrastructure).Or().Are(Executable))
            .Because("Core is the pure domain: no I/O, no use cases, no adapters");
        rule.Check(Assemblies.Model);
    }

    [Fact]
    public void Application_depends_on_Core_only()
    {
        IArchRule rule = Types().That().Are(Application).Should()
            .NotDependOnAny(Types().That().Are(Infrastructure).Or().Are(Executable))
            .Because("the use cases reach adapters only through the ports they declare")
            .WithoutRequiringPositiveResults();
        rule.Check(Assemblies.Model);
    }

    [Fact]
    public void Infrastructure_depends_on_neither_the_use_cases_nor_the_executable()
    {
        IArchRule rule = Types().That().Are(Infrastructure).Should()
            .NotDependOnAny(Types().That().Are(Application).Or().Are(Executable))
            .Because("adapters implement ports; they do not call the use cases or the command line");
        rule.Check(Assemblies.Model);
    }
}
