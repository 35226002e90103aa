namespace ProxClmc.Guard.Architecture.Tests;

/// <summary>
/// The executable's folders are layered (docs/ARCHITECTURE.md, "Where the move stands": Configuration and Rendering
/// lowest, then Cli, Hook and Hosting, Composition, Commands, the command tree, Documentation). A failure names the
/// namespaces that use each other.
/// </summary>
public sealed class ExecutableTests
{
    [Fact]
    public void Namespaces_of_the_executable_form_no_cycle() =>
        NamespaceCycleTests.AssertNoCycle(Assemblies.ExecutableName);
}
