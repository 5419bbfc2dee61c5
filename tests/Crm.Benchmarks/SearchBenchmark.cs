using System.Diagnostics;
using Crm.Engine;
using Crm.Engine.Domain;
using Crm.Engine.Storage;
using Crm.Engine.Storage.Sqlite;

namespace Crm.Benchmarks;

/// <summary>
/// (d) Full-text search latency over a loaded contact table: a fixed mix of name prefixes, exact emails, phone
/// digits and company words through <see cref="IRecordReadModel.QueryAsync"/>, one query at a time.
/// </summary>
internal static class SearchBenchmark
{
    public enum Kind
    {
        NamePrefix,
        ExactEmail,
        PhoneDigits,
        CompanyWord,
    }

    public sealed record Query(Kind Kind, string Text);

    public sealed record KindResult(Kind Kind, int Count, double P50Ms, double P99Ms, double MaxMs, double AverageHits, int Empty);

    public sealed record Result(
        Measurement Measurement,
        TimeSpan Load,
        int Contacts,
        double P50Ms,
        double P99Ms,
        IReadOnlyList<KindResult> Kinds,
        KindResult EmailByUniqueKey);

    public static async Task<Result> RunAsync(IReadOnlyList<ContactInput> contacts, IReadOnlyList<AppendRequest> appends, int queries, int warmUp)
    {
        using var directory = new TempDataDirectory("search");
        await using var store = SqliteEventStore.Open(new SqliteStoreOptions { Path = directory.DatabasePath });

        var loading = Stopwatch.StartNew();
        await StoreAppendBenchmark.AppendAllAsync(store, appends, 0, appends.Count, writers: 256);
        loading.Stop();

        var mix = Mix(contacts, queries + warmUp);
        var readModel = store.ReadModel;
        for (var i = 0; i < warmUp; i++)
        {
            await SearchAsync(readModel, mix[i].Text);
        }

        var latencies = new double[queries];
        var hits = new int[queries];
        var probe = Measurement.Start();
        for (var i = 0; i < queries; i++)
        {
            var started = Stopwatch.GetTimestamp();
            hits[i] = await SearchAsync(readModel, mix[warmUp + i].Text);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        var measurement = probe.Stop(queries);
        var measured = mix.Skip(warmUp).ToArray();
        var kinds = Enum.GetValues<Kind>().Select(kind =>
        {
            var indexes = Enumerable.Range(0, queries).Where(i => measured[i].Kind == kind).ToArray();
            var times = indexes.Select(i => latencies[i]).ToArray();
            return new KindResult(
                kind,
                indexes.Length,
                Percentile(times, 0.50),
                Percentile(times, 0.99),
                times.Max(),
                indexes.Average(i => hits[i]),
                indexes.Count(i => hits[i] == 0));
        }).ToArray();
        var byKey = await EmailsByUniqueKeyAsync(readModel, [.. measured.Where(q => q.Kind == Kind.ExactEmail)]);
        return new Result(measurement, loading.Elapsed, appends.Count, Percentile(latencies, 0.50), Percentile(latencies, 0.99), kinds, byKey);
    }

    /// <summary>
    /// The same exact-email queries answered from the unique-key index (the claim every contact's email holds) plus
    /// a row read, instead of a full-text phrase: what a search would cost if it recognised an address first.
    /// </summary>
    private static async Task<KindResult> EmailsByUniqueKeyAsync(IRecordReadModel readModel, Query[] emails)
    {
        var times = new double[emails.Length];
        var hits = 0;
        for (var i = 0; i < emails.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var key = new Crm.Engine.Storage.UniqueClaim("contact.email", ContactPoints.NormalizeEmail(emails[i].Text)!);
            if (await readModel.FindByUniqueKeyAsync(ContactAppends.Tenant, key) is { } id
                && await readModel.GetAsync(ContactAppends.Tenant, RecordTypes.Contact, id) is not null)
            {
                hits++;
            }

            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return new KindResult(Kind.ExactEmail, emails.Length, Percentile(times, 0.50), Percentile(times, 0.99), times.DefaultIfEmpty().Max(),
            emails.Length == 0 ? 0 : (double)hits / emails.Length, emails.Length - hits);
    }

    private static async Task<int> SearchAsync(IRecordReadModel readModel, string text)
    {
        var page = await readModel.QueryAsync(ContactAppends.Tenant, RecordTypes.Contact, new RecordQuery { Text = text, Limit = 50 });
        return page.Items.Count;
    }

    /// <summary>
    /// Queries in a fixed, seeded order, the four kinds in turn: a 3-letter prefix of a first name as typed
    /// ("Jen"), a stored address, 7 to 10 leading digits of a stored national number, a company's first word.
    /// </summary>
    public static Query[] Mix(IReadOnlyList<ContactInput> contacts, int count)
    {
        var random = new Random(7);
        var queries = new Query[count];
        for (var i = 0; i < count; i++)
        {
            var contact = contacts[random.Next(contacts.Count)];
            queries[i] = (Kind)(i % 4) switch
            {
                Kind.NamePrefix => new Query(Kind.NamePrefix, contact.FirstName[..Math.Min(3, contact.FirstName.Length)]),
                Kind.ExactEmail => new Query(Kind.ExactEmail, contact.Email),
                Kind.PhoneDigits => new Query(Kind.PhoneDigits, contact.NationalNumber[..random.Next(7, 11)]),
                _ => new Query(Kind.CompanyWord, ContactFaker.CompanyWord(contact.Company)),
            };
        }

        return queries;
    }

    private static double Percentile(double[] values, double p)
    {
        if (values.Length == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
