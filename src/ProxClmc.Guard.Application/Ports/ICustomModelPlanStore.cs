namespace ProxClmc.Guard.Application.Ports;

/// <summary>
/// The saved custom model plans under <c>fix.undo_dir</c> (<c>&lt;id&gt;.model.json</c>, 0600) and the mark that a
/// plan was applied (<c>&lt;id&gt;.model.applied</c>): a plan is written once, exactly as planned.
/// </summary>
public interface ICustomModelPlanStore
{
    /// <summary>The folder, for messages.</summary>
    string Location { get; }

    void Save(CustomModelPlan plan);

    /// <summary>The plan (null when there is none); a file this tool did not write is refused as a request error.</summary>
    CustomModelPlan? Load(string id);

    bool IsApplied(string id);

    void MarkApplied(string id, DateTimeOffset at);
}
