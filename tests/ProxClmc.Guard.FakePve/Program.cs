using System.Globalization;
using System.Runtime.InteropServices;
using ProxClmc.Guard.FakePve;

// dotnet run --project tests/ProxClmc.Guard.FakePve -- --snapshot <dir> [--port <n>] [--latency-ms <n>] [--certificate valid|other-name|unknown-ca|expired]
string? snapshot = null;
var port = 8006;
var latencyMs = 0;
var certificate = FakeCertificateKind.Valid;
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--snapshot" when value is not null:
            snapshot = value;
            i++;
            break;
        case "--port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65535:
            port = p;
            i++;
            break;
        case "--latency-ms" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var l):
            latencyMs = l;
            i++;
            break;
        case "--certificate" when value is not null:
            certificate = value switch
            {
                "valid" => FakeCertificateKind.Valid,
                "other-name" => FakeCertificateKind.OtherName,
                "unknown-ca" => FakeCertificateKind.UnknownCa,
                "expired" => FakeCertificateKind.Expired,
                _ => throw new ArgumentException($"--certificate: unknown kind {value}"),
            };
            i++;
            break;
        default:
            Console.Error.WriteLine($"fake-pve: unexpected argument {args[i]}");
            Console.Error.WriteLine("usage: fake-pve --snapshot <dir> [--port <n>] [--latency-ms <n>] [--certificate valid|other-name|unknown-ca|expired]");
            return 64;
    }
}

if (snapshot is null)
{
    Console.Error.WriteLine("usage: fake-pve --snapshot <dir> [--port <n>] [--latency-ms <n>] [--certificate valid|other-name|unknown-ca|expired]");
    return 64;
}

FakeProxmox pve;
try
{
    pve = await FakeProxmox.StartAsync(new FakeProxmoxOptions
    {
        SnapshotDir = Path.GetFullPath(snapshot),
        Port = port,
        Latency = TimeSpan.FromMilliseconds(latencyMs),
        Certificate = certificate,
    });
}
catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"fake-pve: {e.Message}");
    return 66;
}

await using var _ = pve;

Console.Write(ConfigSnippet.For(pve));
Console.WriteLine($"# serving {string.Join(", ", pve.NodeNames)} from {Path.GetFullPath(snapshot)}; Ctrl+C stops");

using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // Ctrl+C or SIGTERM: dispose the server and remove its temp files.
}

return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
