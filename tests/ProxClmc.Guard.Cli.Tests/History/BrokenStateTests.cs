using System.Text.Json;
using ProxClmc.Guard.Cli.Tests.Support;

namespace ProxClmc.Guard.Cli.Tests.History;

/// <summary>
/// A state file that cannot be used (damaged, a symlink, another cluster's) is one warning naming the file: the scan
/// goes on as a first scan, answers as it would without a state (never 3 for the state alone), and writes a fresh one.
/// </summary>
public sealed class BrokenStateTests
{
    [Theory]
    [InlineData("damaged")]
    [InlineData("symlink")]
    [InlineData("foreign")]
    public void An_unusable_state_is_one_warning_naming_the_file_and_is_replaced_by_a_fresh_one(string kind)
    {
        using var lab = new LabChange();
        using var elsewhere = new TempTree();
        Directory.CreateDirectory(Path.GetDirectoryName(lab.State)!);
        var target = elsewhere.Write("{\"keep\": \"me\"}\n", "precious.json");
        string expected;
        switch (kind)
        {
            case "damaged":
                File.WriteAllBytes(lab.State, [0x7b, 0x22, 0x66, 0x6f, 0xff, 0x00, 0x13, 0x0a]);
                expected = "not valid JSON";
                break;
            case "symlink":
                File.CreateSymbolicLink(lab.State, target);
                expected = $"{lab.State}: is a symbolic link; refusing to follow it";
                break;
            default:
                // The state another cluster's scan recorded (its corosync.conf names it "other").
                using (var other = new LabChange())
                {
                    var conf = other.PathOf("corosync.conf");
                    File.WriteAllText(conf, File.ReadAllText(conf).Replace("cluster_name: lab", "cluster_name: other", StringComparison.Ordinal));
                    other.FirstScan();
                    File.Copy(other.State, lab.State);
                }

                expected = $"{lab.State}: the state of cluster 'other', not of this cluster 'lab'";
                break;
        }

        var scan = GuardRun.RunAt(LabChange.First, null, "scan", "--from", lab.Lab, "--state", lab.State, "--vmid", "101", "--format", "json");

        Assert.True(scan.Exit == 0, scan.ToString());
        var warning = Assert.Single(scan.ErrorLines);
        Assert.StartsWith("proxclmc-guard: warning: cluster CPU state not usable, writing a fresh one: ", warning, StringComparison.Ordinal);
        Assert.Contains(lab.State, warning, StringComparison.Ordinal);
        Assert.Contains(expected, warning, StringComparison.Ordinal);
        Assert.Empty(LabChange.Changes(scan));

        // A fresh state in place of the broken one (the link itself replaced, never what it pointed to).
        var status = Infrastructure.IO.Posix.LStat(lab.State)!.Value;
        Assert.True(status.IsRegular, status.TypeName);
        using var fresh = JsonDocument.Parse(File.ReadAllBytes(lab.State));
        Assert.Equal("lab", fresh.RootElement.GetProperty("cluster").GetString());
        Assert.Equal("{\"keep\": \"me\"}\n", File.ReadAllText(target));

        // And the next scan compares with it as usual.
        var next = GuardRun.RunAt(LabChange.Second, null, "scan", "--from", lab.Lab, "--state", lab.State, "--vmid", "101", "--format", "json");
        Assert.True(next.Exit == 0, next.ToString());
        Assert.Equal("", next.Error);
        Assert.Equal(LabChange.FirstTime, LabChange.Root(next).GetProperty("changesSince").GetString());
    }

    [Fact]
    public void An_unreadable_state_is_a_warning_and_a_fresh_state()
    {
        using var lab = new LabChange();
        Directory.CreateDirectory(Path.GetDirectoryName(lab.State)!);

        // A folder where the file should be: nothing can read it as a state, and nothing can replace it either.
        Directory.CreateDirectory(lab.State);
        var scan = GuardRun.RunAt(LabChange.First, null, "scan", "--from", lab.Lab, "--state", lab.State, "--vmid", "101");

        Assert.True(scan.Exit == 0, scan.ToString());
        Assert.Equal(2, scan.ErrorLines.Count);
        Assert.Contains($"{lab.State}: is a directory, not a regular file", scan.ErrorLines[0], StringComparison.Ordinal);
        Assert.StartsWith("proxclmc-guard: warning: cluster CPU state not recorded: ", scan.ErrorLines[1], StringComparison.Ordinal);
    }
}
