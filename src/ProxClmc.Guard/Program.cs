using ProxClmc.Guard.Composition;

namespace ProxClmc.Guard;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();

        // Ctrl+C cancels the run; not through Console.CancelKeyPress, which switches the terminal into keypad mode.
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            cancel.Cancel();
        });
        return await GuardCli.RunAsync(args, CompositionRoot.ProcessEnvironment(), cancel.Token).ConfigureAwait(false);
    }
}
