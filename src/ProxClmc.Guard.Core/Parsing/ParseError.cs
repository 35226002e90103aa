namespace ProxClmc.Guard.Core.Parsing;

/// <summary>
/// A problem with an input file, located precisely enough for an administrator to open the file and fix it.
/// Line and column are 1-based; 0 means "the whole file" (for example an empty or oversized input).
/// </summary>
public sealed record ParseError(string Source, int Line, int Column, string Message)
{
    public override string ToString() =>
        Line > 0 ? $"{Source}:{Line}:{Column}: {Message}" : $"{Source}: {Message}";
}

/// <summary>The outcome of a parser: a value or a <see cref="ParseError"/>, never an exception for bad input.</summary>
public sealed class ParseResult<T> where T : class
{
    private ParseResult(T? value, ParseError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public ParseError? Error { get; }

    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Value))]
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Value is not null;

    public static ParseResult<T> Ok(T value) => new(value, null);

    public static ParseResult<T> Fail(ParseError error) => new(null, error);

    public static ParseResult<T> Fail(string source, int line, int column, string message) =>
        new(null, new ParseError(source, line, column, message));

    /// <summary>The value, or a <see cref="ParseException"/> carrying the error (for callers that treat bad input as fatal).</summary>
    public T GetValueOrThrow() => Value ?? throw new ParseException(Error!);
}

/// <summary>Bad input surfaced as an exception at an adapter boundary; the CLI turns it into one line and exit 78 or 3.</summary>
public sealed class ParseException(ParseError error) : Exception(error.ToString())
{
    public ParseError Error { get; } = error;
}
