using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AioProcessing.Tests.Support;

/// <summary>An <see cref="ILoggerProvider"/> that keeps every entry (its text, and its exception's when it has one).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    /// <summary>Whether an entry containing <paramref name="text"/> is logged within <paramref name="within"/>.</summary>
    public async Task<bool> AppearsAsync(string text, TimeSpan within)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!_entries.Any(e => e.Contains(text, StringComparison.Ordinal)))
        {
            if (clock.Elapsed > within)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(_entries);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(exception is null ? formatter(state, exception) : $"{formatter(state, exception)} {exception}");
    }
}
