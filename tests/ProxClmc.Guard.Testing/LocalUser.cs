using System.Diagnostics;

namespace ProxClmc.Guard.Testing;

/// <summary>
/// A second, unprivileged local account for attack tests (a local user, the node_exporter account, a VM
/// administrator's shell): created with useradd for one test and removed with userdel afterwards. The tests run as
/// root (tools/test.sh), as the tool does on a Proxmox node.
/// </summary>
public sealed class LocalUser : IDisposable
{
    private LocalUser(string name, int uid, int gid)
    {
        Name = name;
        Uid = uid;
        Gid = gid;
    }

    public string Name { get; }

    public int Uid { get; }

    public int Gid { get; }

    public static LocalUser Create()
    {
        var name = "pcg" + Guid.NewGuid().ToString("N")[..10];
        Retry(() => Run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name));
        var uid = int.Parse(Run("id", "-u", name).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var gid = int.Parse(Run("id", "-g", name).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return new LocalUser(name, uid, gid);
    }

    /// <summary>chown of a file or folder to this account (not following a symlink).</summary>
    public void Owns(string path) => Run("chown", "-h", Name, path);

    /// <summary>Runs a shell command as this account (setpriv, no new privileges) and returns its stdout.</summary>
    public string Shell(string script) =>
        Run("setpriv", $"--reuid={Uid}", $"--regid={Gid}", "--clear-groups", "--no-new-privs", "sh", "-c", script);

    public void Dispose()
    {
        try
        {
            Retry(() => Run("userdel", Name));
        }
        catch (InvalidOperationException)
        {
            // A leftover system account is harmless; never fail a test on cleanup.
        }
    }

    // Tests run in parallel and useradd/userdel lock /etc/passwd: a busy lock is retried, not a failure.
    private static void Retry(Action action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                action();
                return;
            }
            catch (InvalidOperationException) when (attempt < 50)
            {
                Thread.Sleep(100);
            }
        }
    }

    public static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? stdout.Result
            : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stderr}");
    }
}
