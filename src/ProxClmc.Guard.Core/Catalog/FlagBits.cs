using System.Numerics;

namespace ProxClmc.Guard.Core.Catalog;

/// <summary>
/// A dense numbering of the cpuinfo flag names a catalog knows (every model's required flags and every flag the QEMU
/// feature map names), in ordinal order: position <c>i</c> is the <c>i</c>-th name sorted ordinally, so walking a
/// <see cref="FlagBits"/> from low to high positions gives its names in ordinal order.
/// </summary>
public sealed class FlagIndex
{
    private readonly string[] names;
    private readonly Dictionary<string, int> positions;

    public FlagIndex(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        this.names = names is string[] array && IsSortedAndDistinct(array)
            ? (string[])array.Clone()
            : names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        positions = new Dictionary<string, int>(this.names.Length, StringComparer.Ordinal);
        for (var i = 0; i < this.names.Length; i++)
        {
            positions[this.names[i]] = i;
        }
    }

    private static bool IsSortedAndDistinct(string[] names)
    {
        for (var i = 1; i < names.Length; i++)
        {
            if (string.CompareOrdinal(names[i - 1], names[i]) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>How many names the index numbers.</summary>
    public int Count => names.Length;

    /// <summary>The name at <paramref name="position"/>.</summary>
    public string this[int position] => names[position];

    /// <summary>The 64-bit words a set over this index holds.</summary>
    internal int Words => (names.Length + 63) >> 6;

    public bool TryGetPosition(string name, out int position)
    {
        // A null name (a hostile facts file can carry one in a flags array) is numbered by no index.
        if (name is null)
        {
            position = -1;
            return false;
        }

        return positions.TryGetValue(name, out position);
    }

    /// <summary>
    /// The set of <paramref name="flags"/> over this index. Names the index does not number are added to
    /// <paramref name="unindexed"/> when given (kept aside: a set cannot hold them), else dropped.
    /// </summary>
    public FlagBits Of(IEnumerable<string> flags, ICollection<string>? unindexed = null)
    {
        ArgumentNullException.ThrowIfNull(flags);
        var words = new ulong[Words];
        foreach (var flag in flags)
        {
            if (TryGetPosition(flag, out var position))
            {
                words[position >> 6] |= 1UL << position;
            }
            else
            {
                unindexed?.Add(flag);
            }
        }

        return new FlagBits(this, words);
    }
}

/// <summary>
/// An immutable set of flags over one <see cref="FlagIndex"/>, one bit per position, so "has every flag of that set"
/// and "which of them are missing" are a few AND-NOT operations on 64-bit words instead of a lookup per name.
/// </summary>
public sealed class FlagBits
{
    private readonly ulong[] words;

    internal FlagBits(FlagIndex index, ulong[] words)
    {
        Index = index;
        this.words = words;
    }

    public FlagIndex Index { get; }

    public int Count
    {
        get
        {
            var count = 0;
            foreach (var word in words)
            {
                count += BitOperations.PopCount(word);
            }

            return count;
        }
    }

    public bool IsEmpty => Array.TrueForAll(words, w => w == 0);

    public bool Contains(string flag) => Index.TryGetPosition(flag, out var position) && Contains(position);

    public bool Contains(int position) =>
        (uint)position < (uint)Index.Count && (words[position >> 6] & (1UL << position)) != 0;

    /// <summary>True when <paramref name="other"/> has every flag of this set.</summary>
    public bool IsSubsetOf(FlagBits other)
    {
        SameIndex(other);
        for (var i = 0; i < words.Length; i++)
        {
            if ((words[i] & ~other.words[i]) != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The flags of this set that <paramref name="other"/> lacks.</summary>
    public FlagBits Except(FlagBits other)
    {
        SameIndex(other);
        var result = new ulong[words.Length];
        for (var i = 0; i < words.Length; i++)
        {
            result[i] = words[i] & ~other.words[i];
        }

        return new FlagBits(Index, result);
    }

    /// <summary>The flags both sets hold.</summary>
    public FlagBits Intersect(FlagBits other)
    {
        SameIndex(other);
        var result = new ulong[words.Length];
        for (var i = 0; i < words.Length; i++)
        {
            result[i] = words[i] & other.words[i];
        }

        return new FlagBits(Index, result);
    }

    /// <summary>Adds the names of the flags of this set that <paramref name="other"/> lacks, in ordinal order, without building a set.</summary>
    public void AddMissingFrom(FlagBits other, List<string> into)
    {
        SameIndex(other);
        ArgumentNullException.ThrowIfNull(into);
        for (var i = 0; i < words.Length; i++)
        {
            var missing = words[i] & ~other.words[i];
            while (missing != 0)
            {
                into.Add(Index[(i << 6) + BitOperations.TrailingZeroCount(missing)]);
                missing &= missing - 1;
            }
        }
    }

    /// <summary>The names, in ordinal order.</summary>
    public IEnumerable<string> Names() => Positions().Select(p => Index[p]);

    /// <summary>Adds one to <paramref name="counts"/> at every position this set holds.</summary>
    internal void CountInto(int[] counts)
    {
        for (var i = 0; i < words.Length; i++)
        {
            var word = words[i];
            while (word != 0)
            {
                counts[(i << 6) + BitOperations.TrailingZeroCount(word)]++;
                word &= word - 1;
            }
        }
    }

    /// <summary>The positions of the flags, lowest first.</summary>
    public IEnumerable<int> Positions()
    {
        for (var i = 0; i < words.Length; i++)
        {
            var word = words[i];
            while (word != 0)
            {
                yield return (i << 6) + BitOperations.TrailingZeroCount(word);
                word &= word - 1;
            }
        }
    }

    private void SameIndex(FlagBits other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!ReferenceEquals(Index, other.Index))
        {
            throw new ArgumentException("the two flag sets are numbered by different indexes", nameof(other));
        }
    }
}
