using System.Text;

namespace ProxClmc.Guard.Infrastructure.IO;

public sealed class PhysicalFileSystem : IFileSystem
{
    public static PhysicalFileSystem Instance { get; } = new();

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public string ReadAllText(string path, int maxBytes) => Encoding.UTF8.GetString(ReadAllBytes(path, maxBytes));

    public byte[] ReadAllBytes(string path, int maxBytes)
    {
        // /proc files report length 0, so the limit is enforced while reading, not from the length alone.
        // Regular files only: a FIFO or device named here would block the run or never end.
        using var stream = Posix.IsSupported
            ? new FileStream(Posix.OpenRegularForRead(path, followLinks: true), FileAccess.Read, 1)
            : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        if (stream.CanSeek && stream.Length > maxBytes)
        {
            throw new InputTooLargeException(path, stream.Length, maxBytes);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new InputTooLargeException(path, buffer.Length + read, maxBytes);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    public IEnumerable<string> EnumerateDirectories(string path) =>
        Directory.Exists(path) ? Directory.EnumerateDirectories(path).Order(StringComparer.Ordinal) : [];

    public IEnumerable<string> EnumerateFiles(string path, string pattern) =>
        Directory.Exists(path) ? Directory.EnumerateFiles(path, pattern).Order(StringComparer.Ordinal) : [];
}
