namespace ProxClmc.Guard.Infrastructure.Qemu;

public sealed record QemuProbeOptions
{
    /// <summary>[facts] qemu_binary; null: /usr/bin/kvm (Proxmox), then qemu-system-x86_64 on PATH.</summary>
    public string? Binary { get; init; }

    public string KvmDevice { get; init; } = "/dev/kvm";

    /// <summary>QEMU 7.2 answers in about 0.3 s; a hung binary must not hold up the timer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The PATH searched for qemu-system-x86_64.</summary>
    public string? SearchPath { get; init; } = Environment.GetEnvironmentVariable("PATH");
}
