using System.Diagnostics;

namespace ProxClmc.Guard.Testing;

/// <summary>
/// Debian's chromium, headless, as the HTML page's tests and the page-load benchmark run it (tools/test-deps.sh
/// installs it). Each run has its own profile folder, no network services, and a time limit.
/// </summary>
public static class HeadlessChromium
{
    public static string Binary => new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("chromium is not installed (tools/test-deps.sh installs it: apt-get install chromium)");

    /// <summary>The page's DOM after its scripts ran, as chromium serialises it.</summary>
    public static string DumpDom(string htmlFile, TimeSpan? timeout = null) => Run(["--dump-dom", Url(htmlFile)], timeout).Out;

    /// <summary>A PNG of the page at <paramref name="width"/> × <paramref name="height"/> CSS pixels.</summary>
    public static void Screenshot(string htmlFile, string pngFile, int width = 1600, int height = 2400, bool dark = false, TimeSpan? timeout = null)
    {
        var args = new List<string> { $"--screenshot={pngFile}", $"--window-size={width},{height}", "--hide-scrollbars" };
        if (dark)
        {
            // prefers-color-scheme: dark, as a desktop in dark mode asks for it.
            args.Add("--blink-settings=preferredColorScheme=0");
        }

        args.Add(Url(htmlFile));
        Run(args, timeout);
        if (!File.Exists(pngFile))
        {
            throw new InvalidOperationException($"chromium wrote no screenshot {pngFile}");
        }
    }

    public static string Url(string file) => new Uri(Path.GetFullPath(file)).AbsoluteUri;

    /// <summary>Runs chromium headless with <paramref name="args"/>; throws with its stderr when it fails or times out.</summary>
    public static (string Out, string Error) Run(IReadOnlyList<string> args, TimeSpan? timeout = null)
    {
        var profile = Directory.CreateTempSubdirectory("proxclmc-chromium-");
        try
        {
            var start = new ProcessStartInfo(Binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // --no-sandbox: the suite runs as root, where chromium refuses its sandbox.
            string[] common =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile.FullName,
            ];
            foreach (var arg in common.Concat(args))
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium {string.Join(' ', args)} did not finish in time");
            }

            process.WaitForExit();
            return process.ExitCode == 0
                ? (stdout.Result, stderr.Result)
                : throw new InvalidOperationException($"chromium exited {process.ExitCode}: {stderr.Result}");
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
