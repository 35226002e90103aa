namespace ProxClmc.Guard.Core.Parsing;

/// <summary>
/// The lines of a Proxmox config file, without copying: '\n' ends a line and a trailing '\r' is dropped (CRLF files
/// edited on Windows and copied back; Proxmox's trailing \s* swallows it too). Lines are numbered from 1.
/// Linear in the text's length whatever its shape.
/// </summary>
public ref struct LineReader
{
    private readonly string _text;
    private int _pos;

    public LineReader(string text) => _text = text;

    /// <summary>The number of the line <see cref="TryRead"/> gave last.</summary>
    public int LineNumber { get; private set; }

    public bool TryRead(out ReadOnlySpan<char> line)
    {
        if (_pos >= _text.Length)
        {
            line = default;
            return false;
        }

        var nl = _text.IndexOf('\n', _pos);
        var end = nl < 0 ? _text.Length : nl;
        line = _text.AsSpan(_pos, end - _pos);
        _pos = end + 1;
        LineNumber++;
        if (line.Length > 0 && line[^1] == '\r')
        {
            line = line[..^1];
        }

        return true;
    }
}
