using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ProxClmc.Guard.Cli.Tests.Support;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Security;

/// <summary>
/// A proxy variable in root's environment must not route the API token elsewhere, and a configuration another
/// account can change is refused (it decides what root runs and where root writes).
/// </summary>
public sealed class ApiAndConfigHardeningTests : FakePveTest
{
    private string ApiConfig(string extra = "") => WriteConfig(apiExtra: extra);

    /// <summary>The real binary in a process of its own, so its environment is the attacker's choice from the start.</summary>
    private static (int Exit, string Out, string Error) RunProcess(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "proxclmc-guard.dll") }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    [Fact]
    public async Task Https_proxy_in_the_environment_is_ignored_and_the_api_reachedDirectly()
    {
        using var proxy = new TcpListener(IPAddress.Loopback, 0);
        proxy.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)proxy.LocalEndpoint).Port}";
        var accepted = proxy.AcceptTcpClientAsync();
        var environment = new Dictionary<string, string> { ["HTTPS_PROXY"] = url, ["https_proxy"] = url, ["ALL_PROXY"] = url, ["all_proxy"] = url };

        var (exit, stdout, stderr) = RunProcess(environment, "baseline", "--list-only", "--config", ApiConfig());

        Assert.True(exit == 0, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.Equal("x86-64-v2-AES\n", stdout);
        await Task.Delay(100);
        Assert.False(accepted.IsCompleted, "the API token went to a proxy nobody configured");
    }

    [Fact]
    public void A_proxy_key_that_is_not_an_http_url_is_a_configuration_error()
    {
        var result = GuardRun.Run("baseline", "--config", ApiConfig("proxy = \"socks5://user:pw@proxy:1080\""));

        Assert.True(result.Exit == 78, result.ToString());
        Assert.Contains("[api] proxy must be an http:// or https:// URL without credentials", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void A_configuration_owned_by_another_user_is_refused_with_78()
    {
        using var user = LocalUser.Create();
        var config = ApiConfig();
        user.Owns(config);

        var result = GuardRun.Run("baseline", "--config", config);

        Assert.True(result.Exit == 78, result.ToString());
        Assert.Equal($"proxclmc-guard: {config}: owned by uid {user.Uid}; the configuration must be owned by root (chown root: {config})", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public void A_configuration_others_can_write_is_refused_with_78()
    {
        var config = ApiConfig();
        File.SetUnixFileMode(config, (UnixFileMode)0x1B6);

        var result = GuardRun.Run("baseline", "--config", config);

        Assert.True(result.Exit == 78, result.ToString());
        Assert.Contains("mode 0666 lets group or others change it", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void A_gzip_bomb_from_the_api_exits_3_with_one_line()
    {
        Pve.ServeBytesNext("/cluster/resources", 3, Fuzz.GzipBomb(256L * 1024 * 1024), contentEncoding: "gzip");

        var result = GuardRun.Run("scan", "--config", ApiConfig());

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("after decompression; refused", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}
