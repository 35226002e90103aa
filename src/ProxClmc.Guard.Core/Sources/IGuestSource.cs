namespace ProxClmc.Guard.Core.Sources;

public interface IGuestSource
{
    Task<GuestInventory> GetGuestsAsync(CancellationToken cancellationToken);
}
