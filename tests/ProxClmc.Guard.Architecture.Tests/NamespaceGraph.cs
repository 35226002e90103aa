using ArchUnitNET.Domain;

namespace ProxClmc.Guard.Architecture.Tests;

/// <summary>
/// The namespaces (folders) of one assembly and which uses which, from every type dependency the compiled code
/// has (fields, signatures, calls, attributes, generic arguments). Finds the cycles as strongly connected
/// components and describes each with the type dependencies that close it.
/// </summary>
internal sealed class NamespaceGraph
{
    // namespace -> namespace it uses -> "Type -> Type" pairs that make that edge
    private readonly SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> _edges =
        new(StringComparer.Ordinal);

    public NamespaceGraph(IEnumerable<IType> types, string assemblyName)
    {
        var ours = types.Where(t => IsIn(t, assemblyName)).ToList();
        TypeCount = ours.Count;
        foreach (var type in ours)
        {
            var from = type.Namespace?.FullName ?? "";
            _edges.TryAdd(from, new(StringComparer.Ordinal));
            foreach (var dependency in type.Dependencies)
            {
                var target = dependency.Target;
                if (!IsIn(target, assemblyName))
                {
                    continue;
                }
                var to = target.Namespace?.FullName ?? "";
                if (to == from)
                {
                    continue;
                }
                if (!_edges[from].TryGetValue(to, out var pairs))
                {
                    _edges[from][to] = pairs = new(StringComparer.Ordinal);
                }
                pairs.Add($"{type.FullName} -> {target.FullName}");
            }
        }
    }

    /// <summary>How many types of the assembly were read.</summary>
    public int TypeCount { get; }

    /// <summary>The namespaces seen in the assembly.</summary>
    public int NamespaceCount => _edges.Count;

    private static bool IsIn(IType type, string assemblyName) =>
        type.Assembly?.Name is { } name
        && (name == assemblyName || name.StartsWith(assemblyName + ",", StringComparison.Ordinal));

    /// <summary>One line per namespace edge inside a cycle, naming the types that make it.</summary>
    public IReadOnlyList<string> DescribeCycles()
    {
        var lines = new List<string>();
        foreach (var component in StronglyConnectedComponents().Where(c => c.Count > 1))
        {
            var members = new SortedSet<string>(component, StringComparer.Ordinal);
            lines.Add("cycle: " + string.Join(" <-> ", members));
            foreach (var from in members)
            {
                foreach (var (to, pairs) in _edges[from].Where(e => members.Contains(e.Key)))
                {
                    lines.Add($"  {from} -> {to}: {string.Join("; ", pairs)}");
                }
            }
        }
        return lines;
    }

    // Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
    private List<List<string>> StronglyConnectedComponents()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var result = new List<List<string>>();
        var next = 0;
        foreach (var root in _edges.Keys)
        {
            if (index.ContainsKey(root))
            {
                continue;
            }
            var work = new Stack<(string Node, IEnumerator<string> Successors)>();
            Visit(root);
            while (work.Count > 0)
            {
                var (node, successors) = work.Peek();
                if (successors.MoveNext())
                {
                    var successor = successors.Current;
                    if (!index.TryGetValue(successor, out var successorIndex))
                    {
                        Visit(successor);
                    }
                    else if (onStack.Contains(successor))
                    {
                        low[node] = Math.Min(low[node], successorIndex);
                    }
                    continue;
                }
                work.Pop();
                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[node]);
                }
                if (low[node] == index[node])
                {
                    var component = new List<string>();
                    string member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member);
                        component.Add(member);
                    }
                    while (member != node);
                    result.Add(component);
                }
            }

            void Visit(string node)
            {
                index[node] = low[node] = next++;
                stack.Push(node);
                onStack.Add(node);
                var successors = _edges.TryGetValue(node, out var targets)
                    ? targets.Keys.ToList()
                    : [];
                work.Push((node, successors.GetEnumerator()));
            }
        }
        return result;
    }
}
