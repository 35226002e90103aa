using System.Globalization;
using System.Runtime.InteropServices;
using ProxClmc.Guard.FakePve;

// dotnet run --project tests/ProxClmc.Guard.FakePve -- --snapshot <dir> [--port <n>] [--latency-ms <n>] [--certificate valid|other-name|unknown-ca|expired] [--pve-version 7.4|8.4|9.0|9.1.14|9.1.15|9.2] [--offline <node>[:slow]]... [--cpu-flags-bytes <n>]
string? snapshot = null;
var port = 8006;
var latencyMs = 0;
var certificate = FakeCertificateKind.Valid;
var release = PveRelease.Latest;
var offline = new List<FakeOffline>();
int? cpuFlagsBytes = null;
const string Usage = "usage: fake-pve --snapshot <dir> [--port <n>] [--latency-ms <n>] [--certificate valid|other-name|unknown-ca|expired] [--pve-version 7.4|8.4|9.0|9.1.14|9.1.15|9.2] [--offline <node>[:slow]]... [--cpu-flags-bytes <n>]";
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--help" or "-h":
            // Asked for: the usage on stdout and success, as every command-line tool answers --help.
            Console.WriteLine(Usage);
            Console.WriteLine("Serves the snapshot's cluster as the Proxmox VE API over HTTPS (see tests/ProxClmc.Guard.FakePve/README.md).");
            return 0;
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
        case "--pve-version" when value is not null && PveRelease.All.Any(r => r.Name == value):
            release = PveRelease.Parse(value);
            i++;
            break;
        case "--cpu-flags-bytes" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0:
            cpuFlagsBytes = b;
            i++;
            break;
        case "--offline" when value is not null:
            offline.Add(FakeOffline.Parse(value));
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
            Console.Error.WriteLine("usage: fake-pve --snapshot <dir> [--port <n>] [--latency-ms <n>] [--certificate valid|other-name|unknown-ca|expired] [--pve-version 7.4|8.4|9.0|9.1.14|9.1.15|9.2] [--offline <node>[:slow]]... [--cpu-flags-bytes <n>]");
            return 64;
    }
}

if (snapshot is null)
{
    Console.Error.WriteLine("usage: fake-pve --snapshot <dir> [--port <n>] [--latency-ms <n>] [--certificate valid|other-name|unknown-ca|expired] [--pve-version 7.4|8.4|9.0|9.1.14|9.1.15|9.2] [--offline <node>[:slow]]... [--cpu-flags-bytes <n>]");
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
        Release = release,
        Offline = offline,
        CpuFlagsAnswerBytes = cpuFlagsBytes,
    });
}
catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or ArgumentException)
{
    Console.Error.WriteLine($"fake-pve: {e.Message}");
    return 66;
}

await using var _ = pve;

Console.Write(ConfigSnippet.For(pve));
Console.WriteLine($"# serving {string.Join(", ", pve.NodeNames)} from {Path.GetFullPath(snapshot)}; Ctrl+C stops");

// A line "requests" on standard input prints how many requests were answered since the previous such line (the
// scale harness runs this server in its own process and counts each run's requests this way).
var requestCounter = Task.Run(async () =>
{
    while (await Console.In.ReadLineAsync() is { } line)
    {
        if (line.Trim() == "requests")
        {
            var count = pve.Requests.Count;
            pve.ClearRequestLog();
            Console.WriteLine($"requests = {count.ToString(CultureInfo.InvariantCulture)}");
        }
    }
});

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
