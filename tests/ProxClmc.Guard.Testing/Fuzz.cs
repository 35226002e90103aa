using System.IO.Compression;
using System.Text;

namespace ProxClmc.Guard.Testing;

/// <summary>
/// Seeded, deterministic input generation for parser robustness tests: random byte soup and mutations of real files.
/// The case count comes from PROXCLMC_FUZZ_CASES (the benchmark run sets 10,000 or more; CI uses the default).
/// </summary>
public static class Fuzz
{
    public const int Seed = 20261123;

    public static int Cases(int defaultCases = 1000) =>
        int.TryParse(Environment.GetEnvironmentVariable("PROXCLMC_FUZZ_CASES"), out var n) && n > 0 ? n : defaultCases;

    /// <summary>Yields <paramref name="count"/> inputs: a third random text, two thirds mutations of the seeds.</summary>
    public static IEnumerable<string> Inputs(IReadOnlyList<string> seeds, int count, int seed = Seed) =>
        RandomInputs(seeds, count, seed);

    /// <summary>
    /// Yields <paramref name="count"/> byte inputs for readers of bytes (JSON): half random bytes, half seeds with a few
    /// bytes overwritten at random (invalid UTF-8, control bytes, cut escapes).
    /// </summary>
    public static IEnumerable<byte[]> Bytes(IReadOnlyList<byte[]> seeds, int count, int seed = Seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            if (seeds.Count == 0 || i % 2 == 0)
            {
                var bytes = new byte[random.Next(0, 300)];
                random.NextBytes(bytes);
                yield return bytes;
                continue;
            }

            var mutated = (byte[])seeds[random.Next(seeds.Count)].Clone();
            for (var j = random.Next(1, 6); j > 0 && mutated.Length > 0; j--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            yield return mutated;
        }
    }

    /// <summary>
    /// <see cref="Inputs"/> followed by the <see cref="LongLines"/> cases, for the parsers of the core: each also
    /// meets near-1 MB lines, so one that is not linear in its input makes its fuzz test crawl instead of passing
    /// in a second.
    /// </summary>
    public static IEnumerable<string> InputsWithLongLines(IReadOnlyList<string> seeds, int count, int seed = Seed) =>
        RandomInputs(seeds, count, seed).Concat(LongLines(seeds));

    /// <summary>Just under pmxcfs's 1 MiB file limit, the largest input any reader passes on.</summary>
    public const int LongLineLength = 1_000_000;

    // Patterns that make a naive scanner restart or rescan: keys, separators, quotes, escapes, headers.
    private static readonly string[] LongLinePatterns =
    [
        "snapstate:", "snapstate: ", "a:", "cpu: ", ",", ";", "+a;", "[a]", "[a]\n", "#", "%4", "%", "'", "\"", "\\",
        "-cpu ", "-cpu a,", "=", "a=", "flags +a;", "processor\t: 0\n", "flags\t\t: ", "{", "}", "ring0_addr: ",
        " ", "\t", "x", "cpu-model: a\n", "    flags +a\n", "custom-", "\r", "\u00e9", "𝄞",
    ];

    /// <summary>One input per pattern: the pattern repeated to <see cref="LongLineLength"/> characters, alone and after each seed's first line.</summary>
    public static IEnumerable<string> LongLines(IReadOnlyList<string> seeds)
    {
        foreach (var pattern in LongLinePatterns)
        {
            var repeated = new StringBuilder(LongLineLength + pattern.Length);
            while (repeated.Length < LongLineLength)
            {
                repeated.Append(pattern);
            }

            var line = repeated.ToString(0, LongLineLength);
            yield return line;

            // The pattern, then blanks to the end of the line: a scanner that trims the rest of the line at every
            // occurrence (as a snapstate: search once did) is quadratic exactly here.
            yield return string.Concat(line.AsSpan(0, LongLineLength / 2), new string(' ', LongLineLength / 2));
            if (seeds.Count > 0)
            {
                var seed = seeds[0];
                var firstLine = seed.IndexOf('\n') is var nl and >= 0 ? seed[..(nl + 1)] : seed + "\n";
                yield return firstLine + line[..(LongLineLength - firstLine.Length)];
            }
        }
    }

    private static IEnumerable<string> RandomInputs(IReadOnlyList<string> seeds, int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            if (seeds.Count == 0 || i % 3 == 0)
            {
                yield return RandomText(random, random.Next(0, 512));
            }
            else
            {
                yield return Mutate(random, seeds[random.Next(seeds.Count)]);
            }
        }
    }

    private static readonly string[] Tokens =
    [
        "\n", "\r\n", "\t", " ", ":", "=", ",", ";", "{", "}", "[", "]", "#", "%", "+", "-", "\0", "\uFFFD", "é", "𝄞",
        "cpu", "flags", "node", "name", "ring0_addr", "processor", "vendor_id", "[PENDING]", "delete", "host", "-cpu",
        "x86-64-v3", "99999999999999999999", "-1", "0x", "::1", "custom-", "cpu-model", "reported-model",

        // What a hostile snapshot or API puts in names: terminal escapes, C1 controls, bidi overrides, line separators.
        "\u001b[2J", "\u001b]0;x\u0007", "\u009b31m", "\r", "\u202e", "\u2028", "\u0085", "\b",
    ];

    /// <summary>One line of <paramref name="length"/> characters: parsers must stay linear on it.</summary>
    public static string LongLine(Random random, int length)
    {
        var token = Tokens[random.Next(Tokens.Length)];
        token = token.Contains('\n', StringComparison.Ordinal) ? "x" : token;
        var line = new StringBuilder(length + token.Length);
        while (line.Length < length)
        {
            line.Append(token);
        }

        return line.ToString(0, length);
    }

    /// <summary>
    /// A gzip answer of a few hundred KB that inflates to <paramref name="inflatedBytes"/> bytes of a JSON-looking
    /// body: what a hostile API node sends to exhaust memory.
    /// </summary>
    public static byte[] GzipBomb(long inflatedBytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write("{\"data\":\""u8);
            var chunk = new byte[1024 * 1024];
            Array.Fill(chunk, (byte)'A');
            for (long written = 0; written < inflatedBytes; written += chunk.Length)
            {
                gzip.Write(chunk);
            }

            gzip.Write("\"}"u8);
        }

        return buffer.ToArray();
    }

    public static string RandomText(Random random, int length)
    {
        var sb = new StringBuilder(length);
        while (sb.Length < length)
        {
            switch (random.Next(4))
            {
                case 0:
                    sb.Append((char)random.Next(0, 0x80));
                    break;
                case 1:
                    sb.Append((char)random.Next(0, 0xD800));
                    break;
                default:
                    sb.Append(Tokens[random.Next(Tokens.Length)]);
                    break;
            }
        }

        return sb.ToString();
    }

    public static string Mutate(Random random, string input)
    {
        var chars = new StringBuilder(input);
        var edits = 1 + random.Next(8);
        for (var e = 0; e < edits; e++)
        {
            var pos = chars.Length == 0 ? 0 : random.Next(chars.Length);
            switch (random.Next(50) == 0 ? 6 : random.Next(6))
            {
                case 6:
                    // A long line (up to 64 KB) where a short value belongs.
                    chars.Insert(pos, LongLine(random, 1024 + random.Next(63 * 1024)));
                    break;
                case 0 when chars.Length > 0:
                    chars.Remove(pos, Math.Min(chars.Length - pos, 1 + random.Next(16)));
                    break;
                case 1:
                    chars.Insert(pos, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 2 when chars.Length > 0:
                    chars[pos] = (char)random.Next(0, 0x100);
                    break;
                case 3 when chars.Length > 0:
                    // Truncate: real files arrive cut off (a dropped SSH session, a full disk).
                    chars.Length = pos;
                    break;
                case 4 when chars.Length > 0:
                    var len = Math.Min(chars.Length - pos, 1 + random.Next(64));
                    chars.Insert(random.Next(chars.Length), chars.ToString(pos, len));
                    break;
                default:
                    chars.Insert(pos, RandomText(random, random.Next(1, 12)));
                    break;
            }
        }

        return chars.ToString();
    }
}
