namespace Crm.Engine.Rules.JavaScript;

/// <summary>
/// What one evaluation of a JavaScript rule may use. Every limit is enforced by the interpreter; an evaluation that
/// reaches one is stopped with <see cref="RuleLimitExceededException"/> and leaves nothing behind.
/// </summary>
public sealed class JavaScriptLimits
{
    /// <summary>Wall-clock time of one evaluation.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Statements executed by one evaluation.</summary>
    public int MaxStatements { get; set; } = 100_000;

    /// <summary>Memory allocated by one evaluation, in bytes (checked as the script runs).</summary>
    public long MaxMemoryBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Depth of nested function calls.</summary>
    public int MaxRecursion { get; set; } = 64;

    /// <summary>Time one regular expression match may take.</summary>
    public TimeSpan RegexTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Elements of one array.</summary>
    public uint MaxArraySize { get; set; } = 100_000;

    /// <summary>Characters of a rule's source.</summary>
    public int MaxScriptLength { get; set; } = 65_536;

    /// <summary>Characters of the JSON input handed to a rule (the event and the record).</summary>
    public int MaxInputLength { get; set; } = 262_144;

    /// <summary>The limits as they are now, to build an engine with and to compare a pooled engine's with.</summary>
    internal JavaScriptLimitValues Values => new(Timeout, MaxStatements, MaxMemoryBytes, MaxRecursion, RegexTimeout, MaxArraySize, MaxScriptLength, MaxInputLength);
}

/// <summary>An immutable copy of <see cref="JavaScriptLimits"/>.</summary>
internal readonly record struct JavaScriptLimitValues(
    TimeSpan Timeout,
    int MaxStatements,
    long MaxMemoryBytes,
    int MaxRecursion,
    TimeSpan RegexTimeout,
    uint MaxArraySize,
    int MaxScriptLength,
    int MaxInputLength);
