namespace ProxClmc.Guard.Rendering;

/// <summary>A time span as a person reads it in a message: whole hours, minutes or seconds.</summary>
internal static class Durations
{
    public static string Text(TimeSpan span) =>
        span.TotalHours >= 2 ? $"{(int)span.TotalHours} hours" : span.TotalMinutes >= 2 ? $"{(int)span.TotalMinutes} minutes" : $"{Math.Max(0, (int)span.TotalSeconds)} seconds";
}
