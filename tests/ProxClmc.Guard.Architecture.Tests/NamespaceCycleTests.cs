namespace ProxClmc.Guard.Architecture.Tests;

/// <summary>
/// No folder of an assembly uses a folder that uses it back, directly or through others (docs/ARCHITECTURE.md,
/// "Layers"). A failure prints each cycle and, for each of its edges, the types that make it.
/// </summary>
public sealed class NamespaceCycleTests
{
    [Theory]
    [InlineData(Assemblies.CoreName)]
    [InlineData(Assemblies.ApplicationName)]
    [InlineData(Assemblies.InfrastructureName)]
    public void Namespaces_of_a_library_form_no_cycle(string assembly) => AssertNoCycle(assembly);

    [Theory]
    [InlineData(Assemblies.CoreName)]
    [InlineData(Assemblies.InfrastructureName)]
    [InlineData(Assemblies.ExecutableName)]
    public void The_graph_sees_the_namespaces_of_an_assembly_with_code(string assembly)
    {
        var graph = new NamespaceGraph(Assemblies.Model.Types, assembly);
        Assert.True(graph.TypeCount > 20, $"{assembly}: only {graph.TypeCount} types read");
        Assert.True(graph.NamespaceCount > 3, $"{assembly}: only {graph.NamespaceCount} namespaces read");
    }

    internal static void AssertNoCycle(string assembly)
    {
        var cycles = new NamespaceGraph(Assemblies.Model.Types, assembly).DescribeCycles();
        Assert.True(
            cycles.Count == 0,
            $"The namespaces of {assembly} form cycles:{Environment.NewLine}{string.Join(Environment.NewLine, cycles)}");
    }
}
