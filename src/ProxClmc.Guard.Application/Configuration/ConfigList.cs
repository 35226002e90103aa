using System.Collections;
using System.Runtime.CompilerServices;

namespace ProxClmc.Guard.Application.Configuration;

/// <summary>
/// An immutable list that compares by its items, so that two configurations with the same settings are equal
/// (a record holding a plain array would compare the array references). Collection expressions build it:
/// <c>KnownHosts = ["/etc/ssh/ssh_known_hosts"]</c>.
/// </summary>
[CollectionBuilder(typeof(ConfigList), nameof(ConfigList.Create))]
public sealed class ConfigList<T> : IReadOnlyList<T>, IEquatable<ConfigList<T>>
{
    private readonly T[] _items;

    internal ConfigList(T[] items) => _items = items;

    public static ConfigList<T> Empty { get; } = new([]);

    public int Count => _items.Length;

    public T this[int index] => _items[index];

    public bool Equals(ConfigList<T>? other) =>
        other is not null && (ReferenceEquals(this, other) || _items.AsSpan().SequenceEqual(other._items));

    public override bool Equals(object? obj) => obj is ConfigList<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(", ", _items) + "]";

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}

public static class ConfigList
{
    public static ConfigList<T> Create<T>(ReadOnlySpan<T> items) => items.IsEmpty ? ConfigList<T>.Empty : new(items.ToArray());

    public static ConfigList<T> From<T>(IEnumerable<T> items) => Create<T>(items.ToArray());
}
