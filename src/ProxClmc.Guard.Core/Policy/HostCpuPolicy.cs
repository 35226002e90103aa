namespace ProxClmc.Guard.Core.Policy;

/// <summary>The <c>[policy] host_cpu</c> key: how <c>host</c> and <c>max</c> guests are judged.</summary>
public enum HostCpuPolicy
{
    /// <summary><c>host</c>/<c>max</c> is always unsafe, even on identical nodes (the next node you add may differ).</summary>
    Unsafe,

    /// <summary>The default: <c>host</c>/<c>max</c> is ok (with a note) when every node reports an identical CPU.</summary>
    AllowIdentical,
}
