using System.Text.Json;
using System.Text.RegularExpressions;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Output;

/// <summary>Every JSON document the tool prints or saves uses one convention for property names: camelCase.</summary>
public sealed partial class JsonNamingTests
{
    private static readonly HashSet<string> Verdicts = [.. Enum.GetValues<ProxClmc.Guard.Core.Compliance.Verdict>().Select(v => ProxClmc.Guard.Core.Compliance.VerdictNames.Name(v))];

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex CamelCase();

    public static TheoryData<string> Commands() => new(
        "scan",
        "baseline",
        "baseline --list-only",
        "check 103",
        "check --evacuate pve2",
        "fix");

    [Theory]
    [MemberData(nameof(Commands))]
    public void Printed_documents_use_camel_case(string command)
    {
        var result = GuardRun.Run([.. command.Split(' '), "--from", GuardRun.Lab, "--format", "json"]);

        using var document = JsonDocument.Parse(result.Out);
        AssertCamelCase(document.RootElement, command);
    }

    [Fact]
    public void Saved_plans_and_snapshot_manifests_use_camel_case()
    {
        using var tree = new TempTree();
        var plan = tree.PathOf("plan.json");
        GuardRun.Run("fix", "--from", GuardRun.Lab, "--save-plan", plan);
        GuardRun.Run("snapshot", "--from", GuardRun.Lab, "--out", tree.PathOf("snap"));

        foreach (var file in new[] { plan, tree.PathOf("snap", "manifest.json") })
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            AssertCamelCase(document.RootElement, file);
        }
    }

    private static void AssertCamelCase(JsonElement element, string where)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    // The summary counts guests per verdict: its keys are the verdict names themselves (data, not fields).
                    Assert.True(CamelCase().IsMatch(property.Name) || Verdicts.Contains(property.Name), $"{where}: property '{property.Name}' is not camelCase");
                    AssertCamelCase(property.Value, where);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    AssertCamelCase(item, where);
                }

                break;
        }
    }
}
