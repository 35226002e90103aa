namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>An input file over its limit: refused before it is read into memory.</summary>
internal sealed class InputTooLargeException(string path, long size, int limit)
    : IOException($"{path}: file is {size} bytes, over the limit of {limit} bytes; refusing to read it")
{
    public string Path { get; } = path;
}
