using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Composition;

internal static partial class CompositionRoot
{
    /// <summary>The environment of the real process: its standard streams, the terminal's width and this node's QEMU.</summary>
    public static CliEnvironment ProcessEnvironment() => new()
    {
        // Not Console.Out, Console.Error or Console.OpenStandardOutput: they switch the terminal into keypad mode (see StandardStreams).
        Out = StandardStreams.Writer(StandardStreams.Output),
        Error = StandardStreams.Writer(StandardStreams.Error),
        OutputWidth = Rendering.TableWidth.ForConsole(),
        OpenStandardOutput = () => StandardStreams.Open(StandardStreams.Output),
        QemuProbe = QemuProbe,
    };
}
