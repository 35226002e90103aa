using System.Runtime.InteropServices;

namespace ProxClmc.Guard.Testing;

/// <summary>
/// Whether this machine can run QEMU under KVM. Machines of the project's kind come with and without a usable
/// <c>/dev/kvm</c> (missing, or present but answering no KVM ioctl, e.g. bind-mounted from /dev/null in a mount
/// namespace). The tests that ask the real QEMU check its answer where KVM works, and the one-line <c>qemuError</c>
/// a user then sees where it does not; the probe itself never looks at this class.
/// </summary>
public static class MachineKvm
{
    public const string Device = "/dev/kvm";

    // linux/kvm.h: KVM_GET_API_VERSION = _IO(KVMIO, 0x00), KVMIO = 0xAE; every KVM since 2.6.22 answers 12.
    private const ulong KvmGetApiVersion = 0xAE00;
    private const int KvmApiVersion = 12;
    private const int ReadWrite = 2;
    private const int CloseOnExec = 0x80000;

    private static readonly Lazy<bool> LazyUsable = new(Probe);

    /// <summary>True when /dev/kvm opens read-write and answers KVM_GET_API_VERSION with 12.</summary>
    public static bool Usable => LazyUsable.Value;

    /// <summary>For test output: what this machine has.</summary>
    public static string Describe() =>
        !File.Exists(Device) ? $"{Device} does not exist"
        : Usable ? $"{Device} is usable"
        : $"{Device} exists but answers no KVM ioctl";

    private static bool Probe()
    {
        var fd = Open(Device, ReadWrite | CloseOnExec);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            return Ioctl(fd, KvmGetApiVersion, 0) == KvmApiVersion;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(int fd, ulong request, ulong argument);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
