using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.Output;

/// <summary>
/// Every mistake a user can make gets a sentence of ours: no .NET resource keys (the binary is built with
/// UseSystemResourceKeys), no .NET type names, a did-you-mean for a misspelt verb or option.
/// </summary>
public sealed class CommandLineMessageTests
{
    [Theory]
    [InlineData("scna", "unknown verb 'scna'; did you mean scan?", "Try 'proxclmc-guard --help'.")]
    [InlineData("baselien --from x", "unknown verb 'baselien'; did you mean baseline?", "Try 'proxclmc-guard --help'.")]
    [InlineData("scan --vmdi 3", "unknown option '--vmdi' for scan; did you mean --vmid?", "Try 'proxclmc-guard scan --help'.")]
    [InlineData("scan --formt json", "unknown option '--formt' for scan; did you mean --format?", "Try 'proxclmc-guard scan --help'.")]
    [InlineData("fix --vmid abc", "--vmid: 'abc' is not a whole number", "Try 'proxclmc-guard fix --help'.")]
    [InlineData("scan --zzzzzzzz", "unknown option '--zzzzzzzz' for scan", "Try 'proxclmc-guard scan --help'.")]
    [InlineData("hook atach --all", "hook: 'atach' is not a whole number; did you mean attach?", "Try 'proxclmc-guard hook --help'.")]
    [InlineData("check abc", "check: 'abc' is not a whole number", "Try 'proxclmc-guard check --help'.")]
    [InlineData("hook 100", "hook needs <vmid> <phase> (or: hook attach)", "Try 'proxclmc-guard hook --help'.")]
    public void Command_line_mistakes_get_our_own_sentence(string command, string message, string hint)
    {
        var result = GuardRun.Run(command.Split(' '));

        Assert.Equal(64, result.Exit);
        Assert.Equal([$"proxclmc-guard: {message}", hint], result.ErrorLines);
        Assert.DoesNotContain("System.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void No_verb_lists_the_verbs()
    {
        var result = GuardRun.Run();

        Assert.Equal(64, result.Exit);
        Assert.StartsWith("proxclmc-guard: no verb given; one of: baseline, scan, check, hook, daemon, fix, snapshot", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_assume_node_file_is_a_usage_error_in_our_words()
    {
        var result = GuardRun.Run("baseline", "--from", GuardRun.Lab, "--assume-node", "pve5=/nonexistent/cpuinfo");

        Assert.Equal(64, result.Exit);
        Assert.Equal("proxclmc-guard: --assume-node: no such file (/nonexistent/cpuinfo)\n", result.Error);
    }

    [Fact]
    public void A_plan_file_that_cannot_be_written_is_a_usage_error_in_our_words()
    {
        var result = GuardRun.Run("fix", "--from", GuardRun.Lab, "--save-plan", "/nonexistent/dir/plan.json");

        Assert.Equal(64, result.Exit);
        Assert.Equal("proxclmc-guard: --save-plan /nonexistent/dir/plan.json: cannot write it (no such directory /nonexistent/dir)\n", result.Error);
    }

    [Fact]
    public void A_plan_file_that_is_a_folder_is_named_once_with_the_reason()
    {
        using var tree = new TempTree();

        var result = GuardRun.Run("fix", "--from", GuardRun.Lab, "--save-plan", tree.Root);

        Assert.Equal(64, result.Exit);
        Assert.Equal($"proxclmc-guard: --save-plan {tree.Root}: cannot write it (is a directory)\n", result.Error);
    }

    [Theory]
    [InlineData("IO_FileNotFound_FileName, /etc/x", "no such file (/etc/x)")]
    [InlineData("IO_PathNotFound_Path, /etc/y/z", "no such directory (/etc/y/z)")]
    [InlineData("UnauthorizedAccess_IODenied_Path, /root/secret", "permission denied (/root/secret)")]
    public void Resource_keys_become_sentences(string resourceMessage, string sentence)
    {
        Exception e = resourceMessage.StartsWith("IO_FileNotFound", StringComparison.Ordinal) ? new FileNotFoundException(resourceMessage)
            : resourceMessage.StartsWith("IO_PathNotFound", StringComparison.Ordinal) ? new DirectoryNotFoundException(resourceMessage)
            : new UnauthorizedAccessException(resourceMessage);

        Assert.Equal(sentence, IoErrors.Message(e));
    }

    [Fact]
    public void Our_own_io_messages_are_kept()
    {
        Assert.Equal("/var/x: 99 bytes, over the limit of 10", IoErrors.Message(new IOException("/var/x: 99 bytes, over the limit of 10")));
    }
}
