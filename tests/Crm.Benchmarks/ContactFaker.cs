using System.Globalization;
using System.Text.Json.Nodes;
using Bogus;
using Crm.Engine.Domain;

namespace Crm.Benchmarks;

/// <summary>A generated contact as a caller would type it, before the engine normalises it.</summary>
internal sealed record ContactInput(
    string FirstName,
    string LastName,
    string Email,
    string Phone,
    string NationalNumber,
    string Company,
    string Title,
    string Source,
    string Tag)
{
    /// <summary>The fields of a create command.</summary>
    public JsonObject ToFields() => new()
    {
        ["firstName"] = FirstName,
        ["lastName"] = LastName,
        ["email"] = Email,
        ["phone"] = Phone,
        ["company"] = Company,
        ["title"] = Title,
        ["source"] = Source,
        ["tags"] = new JsonArray(Tag),
    };
}

/// <summary>
/// Deterministic contacts made with Bogus: the same seed gives the same people, so runs compare, and contact <c>i</c>
/// is the same whatever the count. Most are from Bogus's English data, one in ten from its German and one in ten from
/// its French data (names with diacritics). Emails are unique (they carry the contact's index before the <c>@</c>) and
/// keep the names' capitals; phones are US numbers over real area codes that libphonenumber accepts, written three ways.
/// </summary>
internal static class ContactFaker
{
    private static readonly string[] Sources = ["web", "referral", "event", "import", "partner", "cold-call"];

    private static readonly string[] Tags = ["newsletter", "trial", "vip", "webinar", "churn-risk", "enterprise"];

    // Real US area codes; exchanges avoid N11 and 555 so every number is a valid one.
    private static readonly string[] AreaCodes =
    [
        "212", "213", "206", "303", "305", "310", "312", "404", "408", "415", "503", "512", "602", "617", "646",
        "650", "702", "713", "714", "718", "720", "773", "781", "818", "858", "917", "919", "949", "972", "978",
    ];

    /// <summary><paramref name="count"/> contacts; contact <c>i</c> is the same for a given seed whatever the count.</summary>
    public static ContactInput[] Generate(int count, int seed = 20261123)
    {
        // One randomizer drives all three locales, so the sequence depends only on the seed.
        var randomizer = new Randomizer(seed);
        Faker[] locales = [new("en") { Random = randomizer }, new("de") { Random = randomizer }, new("fr") { Random = randomizer }];
        var contacts = new ContactInput[count];
        for (var i = 0; i < count; i++)
        {
            var roll = randomizer.Number(9);
            contacts[i] = Next(roll < 8 ? locales[0] : locales[roll - 7], i);
        }

        return contacts;
    }

    private static ContactInput Next(Faker faker, int index)
    {
        var first = faker.Name.FirstName();
        var last = faker.Name.LastName();
        // Bogus keeps the name's capitals (Ruben_Grimes.1@hotmail.com); the engine stores the address lower-cased.
        var email = faker.Internet.Email(first, last, uniqueSuffix: "." + index.ToString(CultureInfo.InvariantCulture));

        string phone;
        string national;
        do
        {
            var area = faker.PickRandom(AreaCodes);
            int exchange;
            do
            {
                exchange = faker.Random.Number(200, 999);
            }
            while (exchange % 100 == 11 || exchange == 555);

            var line = faker.Random.Number(9_999).ToString("D4", CultureInfo.InvariantCulture);
            national = area + exchange.ToString(CultureInfo.InvariantCulture) + line;
            phone = faker.Random.Number(2) switch
            {
                0 => $"+1 {area} {exchange} {line}",
                1 => $"({area}) {exchange}-{line}",
                _ => $"{area}.{exchange}.{line}",
            };
        }
        while (ContactPoints.NormalizePhone(phone, "US") is null);

        return new ContactInput(
            first,
            last,
            email,
            phone,
            national,
            faker.Company.CompanyName(),
            faker.Name.JobTitle(),
            faker.PickRandom(Sources),
            faker.PickRandom(Tags));
    }

    /// <summary>The first word of a company name as someone would search for it: <c>Schmidt</c> of <c>Schmidt, Kub and Ritchie</c>.</summary>
    public static string CompanyWord(string company) => company.Split([' ', ',', '-'], StringSplitOptions.RemoveEmptyEntries)[0];
}
