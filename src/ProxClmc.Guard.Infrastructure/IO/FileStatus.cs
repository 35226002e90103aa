namespace ProxClmc.Guard.Infrastructure.IO;

/// <summary>What fstat/statx says about an opened file: type, permission bits and owner.</summary>
public readonly record struct FileStatus(uint Mode, uint Uid, uint Gid, long Size)
{
    private const uint TypeMask = 0xF000;

    public bool IsRegular => (Mode & TypeMask) == 0x8000;

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public bool IsSymlink => (Mode & TypeMask) == 0xA000;

    /// <summary>The twelve permission bits (setuid, setgid, sticky, rwxrwxrwx).</summary>
    public int Permissions => (int)(Mode & 0xFFF);

    public bool IsGroupOrWorldWritable => (Mode & 0x12) != 0;

    public bool IsSticky => (Mode & 0x200) != 0;

    public string TypeName => (Mode & TypeMask) switch
    {
        0x8000 => "regular file",
        0x4000 => "directory",
        0xA000 => "symbolic link",
        0x1000 => "FIFO",
        0xC000 => "socket",
        0x2000 => "character device",
        0x6000 => "block device",
        _ => "special file",
    };

    public string OctalPermissions => "0" + Convert.ToString(Permissions & 0x1FF, 8).PadLeft(3, '0');
}
