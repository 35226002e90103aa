using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Parsing;

namespace ProxClmc.Guard.Cli.Tests.Application.Placement;

/// <summary>
/// The placement undo records as <c>fix --undo</c> reads them back: what was appended, in order; half a last line
/// (a crash while appending) is no record; a line that is not a record is an error naming it.
/// </summary>
public sealed class PlacementUndoFileTests : IDisposable
{
    private const string PlanId = "20261123-130501-ab12";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "proxclmc-placement-undo-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Appended_records_read_back_in_order_and_the_plan_has_undo_records()
    {
        var store = new PlacementUndoFile(_dir);
        var record = new PlacementUndoRecord(205, "vm:205", IsRule: true, "proxclmc-vm205", ["pve2", "pve3"]);
        Assert.False(store.Has(PlanId));

        store.Append(PlanId, record);
        store.Append(PlanId, record with { Written = false });

        Assert.True(store.Has(PlanId));
        var read = store.Read(PlanId);
        Assert.Equal(2, read.Count);
        Assert.Equal((205, "vm:205", true, "proxclmc-vm205", (bool?)null), (read[0].VmId, read[0].Sid, read[0].IsRule, read[0].Id, read[0].Written));
        Assert.Equal(["pve2", "pve3"], read[0].Nodes);
        Assert.Equal(false, read[1].Written);
        Assert.False(store.Has("../" + PlanId));
    }

    [Fact]
    public void Half_a_last_line_is_no_record_and_a_foreign_line_names_its_line()
    {
        var store = new PlacementUndoFile(_dir);
        store.Append(PlanId, new PlacementUndoRecord(205, "vm:205", IsRule: false, "proxclmc-vm205", ["pve2"]));
        var path = PlacementUndoFile.PathOf(_dir, PlanId);
        File.AppendAllText(path, "{\"vmid\":2");

        Assert.Single(store.Read(PlanId));

        File.WriteAllText(path, "{\"vmid\":1,\"sid\":\"vm:1\",\"kind\":\"rule\",\"id\":\"someone-else\",\"nodes\":[]}\n");
        var e = Assert.Throws<ParseException>(() => store.Read(PlanId));
        Assert.Equal(1, e.Error.Line);
        Assert.Contains("not a placement undo record", e.Error.ToString(), StringComparison.Ordinal);
    }
}
