using ProxClmc.Guard.Cli;

namespace ProxClmc.Guard;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return await GuardCli.RunAsync(args, CliEnvironment.FromProcess(), cancel.Token).ConfigureAwait(false);
    }
}
