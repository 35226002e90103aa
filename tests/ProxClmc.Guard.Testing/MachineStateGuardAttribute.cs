using System.Reflection;
using Xunit.Sdk;

namespace ProxClmc.Guard.Testing;

/// <summary>
/// Fails any test that changes the machine's real state: the places proxclmc-guard writes to by default (state and
/// reports, the config, hook snippets, the cluster lock). The suite runs as root, so a test that forgets to point a
/// path at its temporary folder would otherwise write into a real node's /var/lib/proxclmc-guard unnoticed.
/// Tests run in parallel: a write fails the test that made it, and possibly one running beside it, never none.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Method)]
public sealed class MachineStateGuardAttribute : BeforeAfterTestAttribute
{
    private readonly AsyncLocal<IReadOnlyDictionary<string, string>?> _before = new();

    /// <summary>What is watched (default: <see cref="MachineState.DefaultPaths"/>).</summary>
    public IReadOnlyList<string> Paths { get; init; } = MachineState.DefaultPaths;

    public override void Before(MethodInfo methodUnderTest) => _before.Value = MachineState.Take(Paths);

    public override void After(MethodInfo methodUnderTest)
    {
        if (_before.Value is not { } before)
        {
            return;
        }

        var changed = MachineState.Compare(before, MachineState.Take(Paths));
        if (changed.Count > 0)
        {
            throw new InvalidOperationException(
                $"{methodUnderTest.DeclaringType?.Name}.{methodUnderTest.Name} changed the machine's real state (tests write only into their temporary folders): " +
                string.Join(", ", changed.Take(10)));
        }
    }
}
