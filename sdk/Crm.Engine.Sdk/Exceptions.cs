namespace Crm.Engine;

/// <summary>Base of every error the engine reports to callers; <see cref="Code"/> is stable and maps to a problem type.</summary>
[GenerateSerializer, Alias("crm.CrmException")]
public class CrmException : Exception
{
    public CrmException(string code, string message) : base(message) => Code = code;

    /// <summary>A stable machine-readable code, e.g. <c>validation</c>, <c>conflict</c>.</summary>
    [Id(0)] public string Code { get; }
}

/// <summary>One invalid field and why.</summary>
[GenerateSerializer, Immutable, Alias("crm.FieldError")]
public sealed record FieldError([property: Id(0)] string Field, [property: Id(1)] string Message);

/// <summary>A command was refused because fields were invalid; nothing was written.</summary>
[GenerateSerializer, Alias("crm.ValidationException")]
public sealed class ValidationException : CrmException
{
    public ValidationException(IReadOnlyList<FieldError> errors)
        : base("validation", "Invalid fields: " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}"))) =>
        Errors = errors;

    public ValidationException(string field, string message) : this([new FieldError(field, message)]) { }

    /// <summary>Every invalid field.</summary>
    [Id(0)] public IReadOnlyList<FieldError> Errors { get; }
}

/// <summary>The caller's expected version was not the stream's version; nothing was written.</summary>
[GenerateSerializer, Alias("crm.ConcurrencyConflictException")]
public sealed class ConcurrencyConflictException : CrmException
{
    public ConcurrencyConflictException(string streamId, long expectedVersion, long actualVersion)
        : base("conflict", $"Stream '{streamId}' is at version {actualVersion}, not the expected {expectedVersion}.")
    {
        StreamId = streamId;
        ExpectedVersion = expectedVersion;
        ActualVersion = actualVersion;
    }

    [Id(0)] public string StreamId { get; }
    [Id(1)] public long ExpectedVersion { get; }
    [Id(2)] public long ActualVersion { get; }
}

/// <summary>A unique value (normalised email, external id) already belongs to another record.</summary>
[GenerateSerializer, Alias("crm.DuplicateRecordException")]
public sealed class DuplicateRecordException : CrmException
{
    public DuplicateRecordException(string field, string value, string existingId)
        : base("duplicate", $"{field} '{value}' already belongs to record {existingId}.")
    {
        Field = field;
        Value = value;
        ExistingId = existingId;
    }

    /// <summary>The unique field, e.g. <c>email</c> or <c>externalId</c>.</summary>
    [Id(0)] public string Field { get; }
    [Id(1)] public string Value { get; }

    /// <summary>The id of the record that holds the value.</summary>
    [Id(2)] public string ExistingId { get; }
}

/// <summary>The record does not exist (or is deleted, for operations that need a live record).</summary>
[GenerateSerializer, Alias("crm.RecordNotFoundException")]
public sealed class RecordNotFoundException : CrmException
{
    public RecordNotFoundException(string type, string id)
        : base("not_found", $"No {type} with id '{id}'.")
    {
        RecordType = type;
        RecordId = id;
    }

    [Id(0)] public string RecordType { get; }
    [Id(1)] public string RecordId { get; }
}

/// <summary>The record exists already (a create with an id that is taken).</summary>
[GenerateSerializer, Alias("crm.RecordExistsException")]
public sealed class RecordExistsException : CrmException
{
    public RecordExistsException(string type, string id)
        : base("exists", $"A {type} with id '{id}' exists already.") => RecordId = id;

    [Id(0)] public string RecordId { get; }
}

/// <summary>A data directory is owned by another process.</summary>
public sealed class DataDirectoryLockedException : CrmException
{
    public DataDirectoryLockedException(string path, Exception? inner = null)
        : base("locked", $"The data directory '{path}' is in use by another process (lock file crm.lock). Stop that process or choose another directory.")
    {
        Path = path;
        if (inner is not null) Data["inner"] = inner.Message;
    }

    public string Path { get; }
}

/// <summary>An approval decision on a deal that has no pending stage approval (or not the one the caller expected); nothing was written.</summary>
[GenerateSerializer, Alias("crm.ApprovalNotPendingException")]
public sealed class ApprovalNotPendingException : CrmException
{
    public ApprovalNotPendingException(string dealId, string message, string? pendingRequestId = null)
        : base("approval_not_pending", message)
    {
        DealId = dealId;
        PendingRequestId = pendingRequestId;
    }

    [Id(0)] public string DealId { get; }

    /// <summary>The request that is pending instead, if any.</summary>
    [Id(1)] public string? PendingRequestId { get; }
}
