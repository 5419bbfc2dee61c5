namespace Crm.Engine.Filtering;

/// <summary>A filter text that does not follow the filter language; <see cref="Position"/> says where it goes wrong.</summary>
[GenerateSerializer, Alias("crm.FilterSyntaxException")]
public sealed class FilterSyntaxException : CrmException
{
    /// <summary>Creates the error; the message ends with the position, e.g. <c>Expected a value after 'eq' at position 14</c>.</summary>
    public FilterSyntaxException(string problem, int position)
        : base("filter", $"{problem} at position {position}")
    {
        Position = position;
        Problem = problem;
    }

    /// <summary>The 0-based character offset in the filter text where the problem was found.</summary>
    [Id(0)] public int Position { get; }

    /// <summary>What is wrong, without the position (the message is this plus <c>at position N</c>).</summary>
    [Id(1)] public string Problem { get; }
}
