using System.Text;

namespace ProxClmc.Guard.Application.Snapshot;

/// <summary>Text in the snapshot's files: UTF-8 without BOM and '\n' line ends, like pmxcfs.</summary>
public static class SnapshotText
{
    public static byte[] Bytes(string text) => new UTF8Encoding(false).GetBytes(text);
}
