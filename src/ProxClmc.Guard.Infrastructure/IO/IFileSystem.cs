namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>The few file operations the readers need, so verbs can be tested on trees built in memory or on disk.</summary>
public interface IFileSystem
{
    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <summary>Reads a text file of at most <paramref name="maxBytes"/>; larger files fail with <see cref="InputTooLargeException"/>.</summary>
    string ReadAllText(string path, int maxBytes);

    byte[] ReadAllBytes(string path, int maxBytes);

    IEnumerable<string> EnumerateDirectories(string path);

    IEnumerable<string> EnumerateFiles(string path, string pattern);
}
