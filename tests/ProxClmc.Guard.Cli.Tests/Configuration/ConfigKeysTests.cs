using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Cli.Tests.Configuration;

/// <summary>The key table the loader checks values with: every entry reads, refuses and documents its key.</summary>
public sealed class ConfigKeysTests
{
    public static TheoryData<string, string> Keys()
    {
        var data = new TheoryData<string, string>();
        foreach (var key in ConfigKeys.All)
        {
            data.Add(key.Section, key.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void A_value_of_the_wrong_type_is_refused_at_the_value_naming_the_type(string section, string name)
    {
        var key = ConfigKeys.Find(section, name)!;
        var text = $"[{Header(section)}]\n{name} = 1979-05-27T07:32:00Z\n";

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.Load(text, "t.toml"));

        Assert.Equal($"t.toml:2:{name.Length + 4}: [{section}] {name} must be {key.Type}, got date-time", error.Message);
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void The_documented_default_or_example_is_a_valid_value(string section, string name)
    {
        var key = ConfigKeys.Find(section, name)!;
        var pairs = new Dictionary<string, string> { ["token_id"] = "token_secret_file", ["token_secret_file"] = "token_id", ["username"] = "password_file", ["password_file"] = "username" };
        var text = $"[{Header(section)}]\n{name} = {key.DefaultToml ?? key.Example}\n";
        if (pairs.TryGetValue(name, out var partner))
        {
            text += $"{partner} = {ConfigKeys.Find(section, partner)!.Example}\n";
        }

        // A [remote.<name>] section needs a whole description of the other cluster: its API with token and CA.
        if (section == ConfigKeys.Remote && name is not ("pve_root" or "from"))
        {
            foreach (var other in new[] { "url", "token_id", "token_secret_file", "ca_file" }.Where(o => o != name && o != partner))
            {
                text += $"{other} = {ConfigKeys.Find(section, other)!.Example}\n";
            }
        }

        var config = GuardConfigLoader.Load(text, "t.toml");

        if (key.DefaultToml is not null)
        {
            Assert.Equal(GuardConfig.Default, config);
        }
        else
        {
            Assert.NotEqual(GuardConfig.Default, config);
        }
    }

    /// <summary>[remote.&lt;name&gt;] is the one section that repeats: the tests write it with an example name.</summary>
    private static string Header(string section) => section == ConfigKeys.Remote ? "remote.office" : section;

    [Fact]
    public void Every_key_has_help_a_rule_and_either_a_default_or_an_example()
    {
        Assert.Equal(ConfigKeys.All.Count, ConfigKeys.All.Select(k => (k.Section, k.Name)).Distinct().Count());
        foreach (var key in ConfigKeys.All)
        {
            Assert.Contains(key.Section, ConfigKeys.Sections);
            Assert.False(string.IsNullOrWhiteSpace(key.Help), $"[{key.Section}] {key.Name} has no help");
            Assert.False(string.IsNullOrWhiteSpace(key.Rule), $"[{key.Section}] {key.Name} has no rule");
            Assert.True(key.DefaultToml is not null ^ key.Example is not null, $"[{key.Section}] {key.Name} needs a default or (when unset by default) an example, not both");
        }
    }
}
