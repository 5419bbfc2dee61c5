using System.Collections.Concurrent;

namespace Crm.Engine.Rules.JavaScript;

/// <summary>
/// Evaluates JavaScript rules on pooled <see cref="JavaScriptSandbox"/>es: each tenant has its own pool, a sandbox
/// serves one thread at a time and never another tenant, and one built with other limits than the evaluation's is
/// discarded. A sandbox that hit a limit or failed unexpectedly is discarded too; one whose script merely threw is
/// settled and reused. A sandbox is also retired after <see cref="MaxEvaluationsPerSandbox"/> evaluations, so what
/// accumulates in an engine whatever the freezing (the symbol registry, interned shapes) stays bounded.
/// Registered as a singleton.
/// </summary>
internal sealed class JavaScriptRuleRuntime
{
    private readonly ConcurrentDictionary<string, TenantSandboxes> _tenants = new(StringComparer.Ordinal);
    private int _pooled;
    private long _uses;

    /// <param name="maxPerTenant">Idle sandboxes kept per tenant (about the threads that evaluate its rules at once); default the processor count, at least 2.</param>
    /// <param name="maxPooled">Idle sandboxes kept in all; past it the least recently used tenant gives one up. Default 4 per processor, at least 64.</param>
    /// <param name="maxEvaluationsPerSandbox">Evaluations after which a sandbox is retired and a new one built.</param>
    public JavaScriptRuleRuntime(int? maxPerTenant = null, int? maxPooled = null, int maxEvaluationsPerSandbox = 50_000)
    {
        MaxPerTenant = maxPerTenant ?? Math.Max(2, Environment.ProcessorCount);
        MaxPooled = maxPooled ?? Math.Max(64, 4 * Environment.ProcessorCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPerTenant, 1, nameof(maxPerTenant));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPooled, MaxPerTenant, nameof(maxPooled));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEvaluationsPerSandbox, 1);
        MaxEvaluationsPerSandbox = maxEvaluationsPerSandbox;
    }

    /// <summary>Idle sandboxes kept per tenant.</summary>
    public int MaxPerTenant { get; }

    /// <summary>Idle sandboxes kept in all.</summary>
    public int MaxPooled { get; }

    /// <summary>Evaluations after which a sandbox is retired.</summary>
    public int MaxEvaluationsPerSandbox { get; }

    /// <summary>Idle sandboxes kept now, all tenants together.</summary>
    public int Pooled => Volatile.Read(ref _pooled);

    /// <summary>Sandboxes built so far (each builds and freezes a realm).</summary>
    public long SandboxesCreated => Interlocked.Read(ref _created);

    private long _created;

    /// <summary>Runs <paramref name="rule"/> on <paramref name="e"/> in a sandbox of <c>e.Tenant</c> with <paramref name="limits"/>.</summary>
    /// <exception cref="RuleLimitExceededException">A limit stopped it (<see cref="RuleLimitExceededException.Limit"/> says which).</exception>
    /// <exception cref="RuleScriptException">The script threw, or called <c>act</c> with invalid arguments.</exception>
    public RuleOutcome Evaluate(JavaScriptRule rule, RuleEvent e, JavaScriptLimits limits)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(limits);
        var values = limits.Values;
        JavaScriptEvent.CheckSize(e, values.MaxInputLength);

        var pool = _tenants.GetOrAdd(e.Tenant, static _ => new TenantSandboxes());
        var sandbox = Rent(pool, values, e.Tenant);
        var reusable = false;
        try
        {
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            RuleOutcome outcome;
            try
            {
                outcome = sandbox.Evaluate(rule, e);
            }
            catch (Exception ex)
            {
                var failure = JavaScriptFailures.Translate(ex);
                reusable = JavaScriptFailures.IsScriptError(ex) && sandbox.Recover();
                if (failure is null)
                {
                    throw;
                }

                throw failure;
            }

            // The interpreter checks memory between steps, so one built-in call (a huge String.prototype.repeat) can
            // allocate past the limit before a check runs. Such a rule still fails, and its engine is not reused.
            if (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore > values.MaxMemoryBytes)
            {
                throw new RuleLimitExceededException("memory", "The rule allocated more memory than its limit.");
            }

            reusable = true;
            return outcome;
        }
        finally
        {
            if (reusable)
            {
                Return(pool, sandbox);
            }
        }
    }

    private JavaScriptSandbox Rent(TenantSandboxes pool, JavaScriptLimitValues limits, string tenant)
    {
        lock (pool)
        {
            pool.LastUsed = Interlocked.Increment(ref _uses);
            while (pool.Idle.TryPop(out var sandbox))
            {
                Interlocked.Decrement(ref _pooled);
                if (sandbox.Limits == limits)
                {
                    return sandbox;
                }
            }
        }

        Interlocked.Increment(ref _created);
        return new JavaScriptSandbox(limits, tenant);
    }

    private void Return(TenantSandboxes pool, JavaScriptSandbox sandbox)
    {
        if (sandbox.Evaluations >= MaxEvaluationsPerSandbox || (Volatile.Read(ref _pooled) >= MaxPooled && !EvictFromOtherTenant(pool)))
        {
            return;
        }

        lock (pool)
        {
            if (pool.Idle.Count >= MaxPerTenant)
            {
                return;
            }

            pool.Idle.Push(sandbox);
            Interlocked.Increment(ref _pooled);
        }
    }

    /// <summary>Drops an idle sandbox of the least recently used other tenant; false when none has one.</summary>
    private bool EvictFromOtherTenant(TenantSandboxes keep)
    {
        TenantSandboxes? oldest = null;
        foreach (var (_, pool) in _tenants)
        {
            if (pool != keep && pool.Idle.Count > 0 && (oldest is null || pool.LastUsed < oldest.LastUsed))
            {
                oldest = pool;
            }
        }

        if (oldest is null)
        {
            return false;
        }

        lock (oldest)
        {
            if (!oldest.Idle.TryPop(out _))
            {
                return false;
            }
        }

        Interlocked.Decrement(ref _pooled);
        return true;
    }

    /// <summary>One tenant's idle sandboxes; locked while pushed or popped.</summary>
    private sealed class TenantSandboxes
    {
        public Stack<JavaScriptSandbox> Idle { get; } = new();

        /// <summary>When it last lent a sandbox, on the runtime's own counter.</summary>
        public long LastUsed { get; set; }
    }
}
