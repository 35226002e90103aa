using System.Collections;

namespace ProxClmc.Guard.Core.Catalog;

/// <summary>
/// A small read-only set of names (cpuinfo flags, bugs) kept as one ordinally sorted array: built without hashing,
/// looked up by binary search, enumerated in ordinal order.
/// </summary>
public sealed class NameSet : IReadOnlySet<string>
{
    private readonly string[] names;
    private HashSet<string>? hashed;
    private FlagBinding? binding;
    private readonly ulong[]? pendingBits;

    /// <summary>Takes the names as they are when already sorted and distinct (the generated catalog's); else sorts a copy.</summary>
    public NameSet(string[] names)
        : this(names, null)
    {
    }

    /// <summary>
    /// With <paramref name="bits"/>: the generated catalog's words of these names over its flag index, taken by
    /// <see cref="Bind"/> instead of looking each name up (only when the names came sorted, as the index numbers them).
    /// </summary>
    internal NameSet(string[] names, ulong[]? bits)
    {
        // The generated catalog writes every list sorted and distinct (GeneratedCatalogTests checks it): not checked again.
        for (var i = bits is null ? 1 : names.Length; i < names.Length; i++)
        {
            if (string.CompareOrdinal(names[i - 1], names[i]) >= 0)
            {
                bits = null;
                names = names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
                break;
            }
        }

        this.names = names;
        pendingBits = bits;
    }

    public int Count => names.Length;

    /// <summary>
    /// A set of names numbered by <paramref name="index"/>: its flags are also held as <see cref="FlagBits"/> (the
    /// names the index does not number kept aside), so a node's check is a few word operations.
    /// </summary>
    public static NameSet Indexed(IEnumerable<string> names, FlagIndex index)
    {
        ArgumentNullException.ThrowIfNull(names);
        var set = new NameSet(names.ToArray());
        set.Bind(index);
        return set;
    }

    /// <summary>The names as bits over an index, and those it does not number; null until <see cref="Bind"/>.</summary>
    internal FlagBinding? Binding => Volatile.Read(ref binding);

    /// <summary>Numbers the names by <paramref name="index"/>, once: a set already bound keeps its first index.</summary>
    internal void Bind(FlagIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (Volatile.Read(ref binding) is not null)
        {
            return;
        }

        if (pendingBits is { } words && words.Length == index.Words)
        {
            Interlocked.CompareExchange(ref binding, new FlagBinding(new FlagBits(index, (ulong[])words.Clone()), []), null);
            return;
        }

        var unindexed = new List<string>();
        var bits = index.Of(names, unindexed);
        Interlocked.CompareExchange(ref binding, new FlagBinding(bits, [.. unindexed]), null);
    }

    /// <summary>
    /// A new ordinal <see cref="HashSet{T}"/> holding <paramref name="set"/>'s names. From a name set it is copied from
    /// one hashed once per set (HashSet copies another of the same comparer without hashing again): the evaluator
    /// starts from a model's flags for every guest.
    /// </summary>
    public static HashSet<string> MutableCopy(IReadOnlySet<string> set)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set is not NameSet nameSet)
        {
            return new HashSet<string>(set, StringComparer.Ordinal);
        }

        var source = Volatile.Read(ref nameSet.hashed);
        if (source is null)
        {
            source = new HashSet<string>(nameSet.names, StringComparer.Ordinal);
            source = Interlocked.CompareExchange(ref nameSet.hashed, source, null) ?? source;
        }

        return new HashSet<string>(source, StringComparer.Ordinal);
    }

    /// <summary>The names, sorted: for loops that should not go through the enumerator interface.</summary>
    internal ReadOnlySpan<string> Items => names;

    public bool Contains(string item)
    {
        // A numbered set answers from its bits (one hash lookup instead of a binary search of string comparisons).
        if (item is not null && Volatile.Read(ref binding) is { } bound)
        {
            return bound.Bits.Index.TryGetPosition(item, out var position)
                ? bound.Bits.Contains(position)
                : bound.Unindexed.Length > 0 && Array.BinarySearch(bound.Unindexed, item, StringComparer.Ordinal) >= 0;
        }

        return Array.BinarySearch(names, item, StringComparer.Ordinal) >= 0;
    }

    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)names).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool IsProperSubsetOf(IEnumerable<string> other) => AsHashSet().IsProperSubsetOf(other);

    public bool IsProperSupersetOf(IEnumerable<string> other) => AsHashSet().IsProperSupersetOf(other);

    public bool IsSubsetOf(IEnumerable<string> other) => AsHashSet().IsSubsetOf(other);

    public bool IsSupersetOf(IEnumerable<string> other) => other.All(Contains);

    public bool Overlaps(IEnumerable<string> other) => other.Any(Contains);

    public bool SetEquals(IEnumerable<string> other) => AsHashSet().SetEquals(other);

    private HashSet<string> AsHashSet() => new(names, StringComparer.Ordinal);
}

/// <summary>A name set's flags as bits over an index, and the names (sorted) that index does not number.</summary>
internal sealed record FlagBinding(FlagBits Bits, string[] Unindexed);
