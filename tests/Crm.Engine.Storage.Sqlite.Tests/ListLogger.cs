using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Crm.Engine.Storage.Sqlite.Tests;

/// <summary>Keeps what the store logs, so a test can see which path it took.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Messages.Enqueue(formatter(state, exception));
}
