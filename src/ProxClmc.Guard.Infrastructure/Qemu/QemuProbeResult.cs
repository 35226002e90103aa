using ProxClmc.Guard.Core.Facts;

namespace ProxClmc.Guard.Infrastructure.Qemu;

/// <summary>QEMU's answer under KVM, or one line saying why there is none (no binary, no /dev/kvm, a failure, a timeout).</summary>
public sealed record QemuProbeResult(QemuCpuAnswer? Answer, string? Error, string Transcript = "");
