using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ProxClmc.Guard.Application.Fix;
using ProxClmc.Guard.Application.Placement;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Core.Fixes;
using ProxClmc.Guard.Core.Parsing;
using Microsoft.Win32.SafeHandles;
using ProxClmc.Guard.Infrastructure.IO;

namespace ProxClmc.Guard.Composition;

/// <summary>Plans and undo files under one directory, JSON through source generation (the binary is NativeAOT).</summary>
internal sealed class FileFixStore(string directory) : IFixStore
{
    private const int MaxFileBytes = 64 * 1024 * 1024;

    public string Location => directory;

    public void ExportPlan(string file, FixPlan plan) => WritePlanFile(file, plan);

    public string PlanPath(string planId) => Path.Combine(directory, CheckedId(planId) + ".plan.json");

    public string UndoPath(string planId) => Path.Combine(directory, CheckedId(planId) + ".undo.jsonl");

    public void SavePlan(FixPlan plan)
    {
        CreateDirectory();
        var bytes = JsonSerializer.SerializeToUtf8Bytes(plan, FixJson.Plan.FixPlan);
        var withNewline = new byte[bytes.Length + 1];
        bytes.CopyTo(withNewline, 0);
        withNewline[^1] = (byte)'\n';

        // Plans hold VM names and configs: root only, whatever the umask.
        AtomicFile.WriteAllBytes(PlanPath(plan.Id), withNewline, AtomicFile.Mode0600);
    }

    /// <summary>
    /// <c>--save-plan &lt;file&gt;</c>: the plan as JSON at a path of the administrator's choosing (replaced atomically).
    /// A path that cannot be written is a usage error with our own sentence.
    /// </summary>
    public static void WritePlanFile(string file, FixPlan plan)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(plan, FixJson.Plan.FixPlan);
        try
        {
            // Like the stored plans: VM names and configs, root only, whatever the umask.
            AtomicFile.WriteAllBytes(Path.GetFullPath(file), (byte[])[.. bytes, (byte)'\n'], AtomicFile.Mode0600);
        }
        catch (Exception e) when (e is (IOException and not UnsafeLocationException) or UnauthorizedAccessException)
        {
            var reason = e is DirectoryNotFoundException ? $"no such directory {Path.GetDirectoryName(Path.GetFullPath(file))}" : Cli.IoErrors.Reason(e);
            throw new Cli.UsageException($"--save-plan {file}: cannot write it ({reason})");
        }
    }

    private void CreateDirectory() => CreateFolder(directory);

    /// <summary>Makes the folder (0700) when missing, from <c>/</c> down, never through a symlink.</summary>
    private static void CreateFolder(string folder)
    {
        const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (!Posix.IsSupported)
        {
            Directory.CreateDirectory(folder, Mode0700);
            return;
        }

        AtomicFile.OpenWritableDirectory(folder, Mode0700).Dispose();
    }

    public FixPlan? LoadPlan(string planId)
    {
        var path = PlanPath(planId);
        if (ReadPrivate(path) is not { } bytes)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, FixJson.Plan.FixPlan)
                ?? throw new ParseException(new ParseError(path, 0, 0, "empty plan"));
        }
        catch (JsonException e)
        {
            throw new ParseException(new ParseError(path, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, "not a fix plan: " + e.Message));
        }
    }

    public void AppendUndo(string planId, FixUndoRecord record)
    {
        CreateDirectory();
        var line = JsonSerializer.SerializeToUtf8Bytes(record, FixJson.Undo.FixUndoRecord);
        var path = UndoPath(planId);
        using var stream = OpenUndoForAppend(path);
        stream.Write(line);
        stream.WriteByte((byte)'\n');

        // Written before the config write it describes: if we crash in between, undo still knows the old value.
        stream.Flush(flushToDisk: true);
    }

    /// <summary>An undo file of this store's folder (created root-only when missing), opened to append.</summary>
    internal static FileStream OpenForAppend(string path)
    {
        CreateFolder(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return OpenUndoForAppend(path);
    }

    private static FileStream OpenUndoForAppend(string path)
    {
        if (!Posix.IsSupported)
        {
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        }

        // Relative to the checked folder, never through a symlink, mode 0600 on the handle.
        // An existing file must be root's own (0600 was set on it when it was made): one planted by another account is
        // refused, not appended to.
        using var folder = AtomicFile.OpenWritableDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var existing = Posix.OpenPrivateFile(folder, Path.GetFileName(path), path);
        existing?.Dispose();
        return new FileStream(Posix.OpenAppend(folder, Path.GetFileName(path), AtomicFile.Mode0600, path), FileAccess.Write, bufferSize: 1);
    }

    public IReadOnlyList<FixUndoRecord>? ReadUndo(string planId)
    {
        var path = UndoPath(planId);
        if (ReadPrivate(path) is not { } bytes)
        {
            return null;
        }

        var records = new List<FixUndoRecord>();
        var lines = Encoding.UTF8.GetString(bytes).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                records.Add(JsonSerializer.Deserialize(line, FixJson.Undo.FixUndoRecord)
                    ?? throw new ParseException(new ParseError(path, i + 1, 1, "null is not an undo record")));
            }
            catch (JsonException) when (lines.Skip(i + 1).All(string.IsNullOrWhiteSpace))
            {
                // A crash while appending can leave half a last line; the write it announced never happened.
                break;
            }
            catch (JsonException e)
            {
                throw new ParseException(new ParseError(path, i + 1, (int)(e.BytePositionInLine ?? 0) + 1, "not an undo record: " + e.Message));
            }
        }

        return records;
    }

    private static string CheckedId(string planId) =>
        FixPlan.IsValidId(planId) ? planId : throw new ArgumentException($"'{planId}' is not a plan id (like 20261123-130501-ab12)", nameof(planId));

    /// <summary>
    /// A plan or undo file of this store, or null when there is none: the folder is reached from <c>/</c> down without
    /// a symlink and must not be writable by others, the file is opened O_NOFOLLOW and must be root's and 0600
    /// (<see cref="Posix.OpenPrivateFile"/>); anything else is refused (exit 78), never read.
    /// </summary>
    private static byte[]? ReadPrivate(string path)
    {
        if (!Posix.IsSupported)
        {
            return File.Exists(path) ? ReadLimited(path) : null;
        }

        SafeFileHandle folder;
        try
        {
            folder = AtomicFile.OpenWritableDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        using (folder)
        {
            using var file = Posix.OpenPrivateFile(folder, Path.GetFileName(path), path);
            return file is null ? null : Posix.ReadAll(file, MaxFileBytes, path);
        }
    }

    private static byte[] ReadLimited(string path)
    {
        var info = new FileInfo(path);
        if (info.Length > MaxFileBytes)
        {
            throw new IOException($"{path}: {info.Length} bytes, over the limit of {MaxFileBytes}");
        }

        return File.ReadAllBytes(path);
    }
}

/// <summary>Shared options: cpu values keep their '+' readable (no \u002B) in files an administrator reads.</summary>
internal static class FixJson
{
    private static readonly Lazy<FixPlanJson> LazyPlan = new(() => new FixPlanJson(Readable(FixPlanJson.Default.Options)));
    private static readonly Lazy<FixUndoJson> LazyUndo = new(() => new FixUndoJson(Readable(FixUndoJson.Default.Options)));

    public static FixPlanJson Plan => LazyPlan.Value;

    public static FixUndoJson Undo => LazyUndo.Value;

    private static JsonSerializerOptions Readable(JsonSerializerOptions generated) =>
        new(generated) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

// Computed properties (PlacementEntry.IsChange) are not part of the file. A plan file is
// read back before writing to the cluster: a null or missing value where the plan must have one is an error naming
// its line, not a crash later.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    IgnoreReadOnlyProperties = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(FixActionJsonConverter), typeof(PlacementActionJsonConverter)])]
[JsonSerializable(typeof(FixPlan))]
internal sealed partial class FixPlanJson : JsonSerializerContext;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FixUndoRecord))]
internal sealed partial class FixUndoJson : JsonSerializerContext;
