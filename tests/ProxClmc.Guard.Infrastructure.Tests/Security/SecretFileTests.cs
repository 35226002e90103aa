using ProxClmc.Guard.Core.Sources;
using ProxClmc.Guard.Infrastructure.Security;

namespace ProxClmc.Guard.Infrastructure.Tests.Security;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecretFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secretfile-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string content, UnixFileMode mode)
    {
        var path = Path.Combine(_dir.FullName, "token");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void A_0600_file_gives_the_secret_without_its_newline()
    {
        var path = Write("0c8f6a2e-1111-2222-3333-444455556666\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Equal("0c8f6a2e-1111-2222-3333-444455556666", SecretFile.Read(path, "api.token_secret_file"));
    }

    [Fact]
    public void A_0400_file_with_a_CRLF_is_read()
    {
        var path = Write("s3cret\r\n", UnixFileMode.UserRead);

        Assert.Equal("s3cret", SecretFile.Read(path, "api.password_file"));
    }

    [Fact]
    public void A_0644_file_is_refused_naming_key_path_and_mode()
    {
        var path = Write("s3cret\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var e = Assert.Throws<GuardConfigurationException>(() => SecretFile.Read(path, "api.token_secret_file"));

        Assert.Equal($"api.token_secret_file: {path} has mode 0644; secrets must be 0600 or 0400 (chmod 600 {path})", e.Message);
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.OtherExecute)]
    public void Any_group_or_other_bit_is_refused(UnixFileMode extra)
    {
        var path = Write("s3cret\n", UnixFileMode.UserRead | extra);

        Assert.Throws<GuardConfigurationException>(() => SecretFile.Read(path, "api.password_file"));
    }

    [Fact]
    public void A_missing_file_is_a_configuration_error()
    {
        var path = Path.Combine(_dir.FullName, "absent");

        var e = Assert.Throws<GuardConfigurationException>(() => SecretFile.Read(path, "api.token_secret_file"));

        Assert.Equal($"api.token_secret_file: {path} does not exist", e.Message);
    }

    [Fact]
    public void An_empty_file_is_a_configuration_error()
    {
        var path = Write("\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var e = Assert.Throws<GuardConfigurationException>(() => SecretFile.Read(path, "api.token_secret_file"));

        Assert.Equal($"api.token_secret_file: {path} is empty", e.Message);
    }
}
