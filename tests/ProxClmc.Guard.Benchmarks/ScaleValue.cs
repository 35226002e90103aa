namespace ProxClmc.Guard.Benchmarks;

/// <summary>One named number of a case, with its unit.</summary>
public sealed record ScaleValue(string Name, double Value, string Unit);
