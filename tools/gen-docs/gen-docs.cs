// Writes the documentation that repeats what the code defines, from the code itself:
//   proxclmc-guard.toml          every key with its default and comment (src/ProxClmc.Guard/Configuration/ConfigKeys.cs)
//   docs/proxclmc-guard.1        the sections between "BEGIN GENERATED" and "END GENERATED" lines: synopsis and
//                                global options (the command tree --help prints), verdicts and notes, exit status,
//                                configuration keys
//   README.md                    the configuration key table
//
//   dotnet run tools/gen-docs/gen-docs.cs              rewrite the files (from the repository root)
//   dotnet run tools/gen-docs/gen-docs.cs -- --check   only say which files differ (exit 1 when one does)
//
// tests/ProxClmc.Guard.Cli.Tests/Docs/GeneratedDocumentationTests.cs fails when a checked-in file differs.

#:project ../../src/ProxClmc.Guard/ProxClmc.Guard.csproj

using ProxClmc.Guard.Documentation;

var check = args.Contains("--check");
var root = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? FindRoot(Environment.CurrentDirectory);
var differs = 0;
foreach (var relative in ReferenceDocs.Paths)
{
    var path = Path.Combine(root, relative);
    var current = File.ReadAllText(path);
    var generated = ReferenceDocs.Regenerate(relative, current);
    if (generated == current)
    {
        continue;
    }

    differs++;
    if (check)
    {
        Console.WriteLine($"{relative}: differs from the code (run dotnet run tools/gen-docs/gen-docs.cs)");
    }
    else
    {
        File.WriteAllText(path, generated);
        Console.WriteLine($"{relative}: rewritten");
    }
}

return check && differs > 0 ? 1 : 0;

static string FindRoot(string start)
{
    for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "ProxClmc.Guard.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("run from inside the repository, or pass its root");
}
