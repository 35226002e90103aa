using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Security;

/// <summary>
/// Hostile snapshots, generated: the lab cluster with files swapped for FIFOs, symlinks to a root-only file, and
/// mutated text full of terminal escapes and long lines. <c>scan --from</c> always answers with a documented exit
/// code, never hangs, never prints a raw control character or a stack trace, and never shows the root-only file.
/// </summary>
public sealed class HostileSnapshotFuzzTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task Scan_from_any_hostile_snapshot_answers_with_a_documented_exit_code()
    {
        var secret = _tree.Write("ROOT-ONLY-KEY-MATERIAL\n", "root-only", "id_rsa");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var files = Directory.EnumerateFiles(GuardRun.Lab, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var random = new Random(Fuzz.Seed);
        var cases = Math.Max(20, Fuzz.Cases() / 50);
        for (var i = 0; i < cases; i++)
        {
            var root = _tree.PathOf($"case{i}");
            foreach (var file in files)
            {
                var target = Path.Combine(root, Path.GetRelativePath(GuardRun.Lab, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                switch (random.Next(12))
                {
                    case 0:
                        LocalUser.Run("mkfifo", target);
                        break;
                    case 1:
                        File.CreateSymbolicLink(target, secret);
                        break;
                    case 2:
                    case 3:
                        File.WriteAllText(target, Fuzz.Mutate(random, File.ReadAllText(file)));
                        break;
                    default:
                        File.Copy(file, target);
                        break;
                }
            }

            var run = Task.Run(() => GuardRun.Run("scan", "--from", root));
            var result = await run.WaitAsync(TimeSpan.FromMinutes(2));

            Assert.True(result.Exit is 0 or 1 or 2 or 3 or 78, $"case {i}: {result}");
            Assert.DoesNotContain(result.Out + result.Error, c => char.IsControl(c) && c is not ('\n' or '\t'));
            Assert.DoesNotContain("ROOT-ONLY-KEY-MATERIAL", result.Out + result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(result.ErrorLines, l => l.StartsWith("   at ", StringComparison.Ordinal));
            Assert.True(result.Exit == 0 || result.ErrorLines.Count >= 1, $"case {i}: a non-zero exit without a line saying why: {result}");
        }
    }
}
