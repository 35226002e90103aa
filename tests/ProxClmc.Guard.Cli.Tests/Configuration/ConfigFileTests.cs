using System.Text;
using NSubstitute;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Configuration;
using ProxClmc.Guard.Core.Parsing;
using ProxClmc.Guard.Core.Sources;

namespace ProxClmc.Guard.Cli.Tests.Configuration;

/// <summary>Finding and reading the file: real files in a temporary directory.</summary>
public sealed class ConfigFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("proxclmc-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Without_a_config_file_at_the_default_path_the_defaults_apply()
    {
        var reader = Substitute.For<IConfigFileReader>();
        reader.ReadTextOrNull(GuardConfig.DefaultPath).Returns((string?)null);

        var config = GuardConfigLoader.LoadFile(explicitPath: null, reader);

        Assert.Equal(GuardConfig.Default, config);
        reader.Received(1).ReadTextOrNull(GuardConfig.DefaultPath);
    }

    [Fact]
    public void The_default_path_is_read_when_it_exists()
    {
        var reader = Substitute.For<IConfigFileReader>();
        reader.ReadTextOrNull(GuardConfig.DefaultPath).Returns("[ssh]\nport = 2222\n");

        Assert.Equal(2222, GuardConfigLoader.LoadFile(explicitPath: null, reader).Ssh.Port);
    }

    [Fact]
    public void A_config_file_named_on_the_command_line_must_exist()
    {
        var path = Path.Combine(_dir, "missing.toml");

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.LoadFile(path));

        Assert.Equal($"{path}: no such file", error.Message);
    }

    [Fact]
    public void A_file_in_a_missing_directory_is_a_missing_file()
    {
        var path = Path.Combine(_dir, "nowhere", "proxclmc-guard.toml");

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.LoadFile(path));

        Assert.Equal($"{path}: no such file", error.Message);
    }

    [Fact]
    public void A_real_file_is_read_and_its_path_named_in_errors()
    {
        var path = Path.Combine(_dir, "proxclmc-guard.toml");
        File.WriteAllText(path, "[ssh]\nport = 2222\n[hook]\nfail_closd = true\n");

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.LoadFile(path));

        Assert.Equal($"{path}:4:1: unknown key 'fail_closd' in [hook] (did you mean 'fail_closed'?)", error.Message);
    }

    [Fact]
    public void A_byte_order_mark_written_by_an_editor_is_accepted()
    {
        var path = Path.Combine(_dir, "bom.toml");
        File.WriteAllBytes(path, [.. Encoding.UTF8.Preamble, .. "[ssh]\nport = 2222\n"u8]);

        Assert.Equal(2222, GuardConfigLoader.LoadFile(path).Ssh.Port);
    }

    [Fact]
    public void A_file_that_is_not_utf8_is_refused()
    {
        var path = Path.Combine(_dir, "latin1.toml");
        File.WriteAllBytes(path, [.. "[cluster]\nlocal_node = \"pve"u8, 0xE9, .. "\"\n"u8]);

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.LoadFile(path));

        Assert.Equal($"{path}: not UTF-8 text (TOML files must be UTF-8)", error.Message);
    }

    [Fact]
    public void A_directory_is_not_a_config_file()
    {
        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.LoadFile(_dir));

        Assert.Equal($"{_dir}: is a directory, not a configuration file", error.Message);
    }

    [Fact]
    public void A_file_larger_than_the_limit_is_refused_before_it_is_parsed()
    {
        var path = Path.Combine(_dir, "huge.toml");
        using (var file = File.Create(path))
        {
            file.SetLength(InputLimits.MaxConfigBytes + 1);
        }

        var error = Assert.Throws<GuardConfigurationException>(() => GuardConfigLoader.LoadFile(path));

        Assert.Equal($"{path}: larger than {InputLimits.MaxConfigBytes} bytes, not a configuration file", error.Message);
    }

    [Fact]
    public void A_file_of_exactly_the_limit_is_read()
    {
        var path = Path.Combine(_dir, "limit.toml");
        var comment = "# " + new string('x', InputLimits.MaxConfigBytes - 3) + "\n";
        File.WriteAllText(path, comment);

        Assert.Equal(GuardConfig.Default, GuardConfigLoader.LoadFile(path));
    }
}
