namespace ProxClmc.Guard.Cli;

/// <summary>
/// Our own sentence for a file-system or process failure. The NativeAOT binary is built with
/// UseSystemResourceKeys, so .NET's messages are bare resource keys ("IO_FileNotFound_FileName, /x"): never show those.
/// </summary>
internal static partial class IoErrors
{
    /// <summary>The exception's own message when it is one of ours; our sentence when it is a bare resource key.</summary>
    public static string Message(Exception e) =>
        e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException || ResourceKey().IsMatch(e.Message) || e.Message.Length == 0
            ? Describe(e)
            : e.Message;

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9]+_[A-Za-z0-9_]+(,|$)")]
    private static partial System.Text.RegularExpressions.Regex ResourceKey();

    public static string Describe(Exception e) => e switch
    {
        FileNotFoundException f => "no such file" + (f.FileName is { } name ? $" ({name})" : PathIn(e.Message)),
        DirectoryNotFoundException => "no such directory" + PathIn(e.Message),
        PathTooLongException => "the path is too long",
        UnauthorizedAccessException => "permission denied" + PathIn(e.Message),
        System.ComponentModel.Win32Exception w => ErrnoText(w.NativeErrorCode),
        IOException io when io.HResult is > 0 and < 4096 => ErrnoText(io.HResult) + PathIn(e.Message),
        IOException => "input/output error" + PathIn(e.Message),
        _ => e.GetType().Name,
    };

    /// <summary>Why, without the path: for a message that names the path itself (an output path the user gave).</summary>
    public static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file or directory",
        PathTooLongException => "the path is too long",
        UnauthorizedAccessException => "permission denied",
        System.ComponentModel.Win32Exception w => ErrnoText(w.NativeErrorCode),
        IOException io when io.HResult is > 0 and < 4096 => ErrnoText(io.HResult),
        IOException io when !ResourceKey().IsMatch(io.Message) && io.Message.LastIndexOf(": ", StringComparison.Ordinal) is > 0 and var at && at + 3 < io.Message.Length =>
            char.ToLowerInvariant(io.Message[at + 2]) + io.Message[(at + 3)..].TrimEnd('.'),
        _ => "input/output error",
    };

    /// <summary>
    /// Runs <paramref name="write"/>, which creates or writes <paramref name="path"/> as the user named it with
    /// <paramref name="option"/>: a path that cannot be written is the user's to correct, so a usage error (64)
    /// naming it, never "could not determine" (3).
    /// </summary>
    public static T AtUserPath<T>(string option, string path, Func<T> write)
    {
        try
        {
            return write();
        }
        catch (Exception e) when (e is (IOException and not Infrastructure.IO.UnsafeLocationException) or UnauthorizedAccessException)
        {
            throw new UsageException($"{option} {path}: cannot write there ({Reason(e)})");
        }
    }

    /// <summary>The path a resource-keyed or plain message names, as ": path" (or nothing).</summary>
    private static string PathIn(string message)
    {
        var slash = message.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return "";
        }

        var path = message[slash..].TrimEnd('.', '\'', '"', ' ');
        var end = path.IndexOfAny(['\'', '"']);
        return " (" + (end > 0 ? path[..end] : path) + ")";
    }

    private static string ErrnoText(int errno) => errno switch
    {
        1 => "operation not permitted",
        2 => "no such file or directory",
        5 => "input/output error",
        13 => "permission denied",
        17 => "the file exists",
        20 => "not a directory",
        21 => "is a directory",
        28 => "no space left on the device",
        30 => "read-only file system",
        40 => "too many levels of symbolic links",
        _ => $"error {errno}",
    };
}
