using Spectre.Console;

namespace ProxClmc.Guard.Rendering;

/// <summary>
/// Spectre.Console output for pipes, files and the journal: no colour, no terminal control, a fixed width when
/// given, and without the trailing blanks Spectre pads every line with (they only get in the way of diff and grep).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The buffer is a StringWriter, which holds no resource to release.")]
internal sealed class PlainConsole
{
    private readonly StringWriter _buffer = new();
    private readonly TextWriter _output;

    public PlainConsole(TextWriter output, int? width)
    {
        _output = output;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_buffer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        Console.Profile.Width = width ?? TableWidth.ForConsole();
    }

    public IAnsiConsole Console { get; }

    /// <summary>Writes what was rendered so far to the output, line by line with trailing blanks removed.</summary>
    public void Flush()
    {
        var text = _buffer.ToString();
        _buffer.GetStringBuilder().Clear();
        var lines = text.Split('\n');
        var count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            // Cells are made visible already (Cell); this catches text written to the console some other way.
            _output.WriteLine(Names.Visible(lines[i].TrimEnd()));
        }
    }
}
