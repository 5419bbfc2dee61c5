using System.Globalization;
using System.Text.Json.Nodes;
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
/// Deterministic contacts: the same seed gives the same people, so runs compare. Emails are unique (they carry the
/// contact's index); phones are US numbers over real area codes that libphonenumber accepts.
/// </summary>
internal static class ContactFaker
{
    public static readonly string[] FirstNames =
    [
        "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
        "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
        "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
        "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
        "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Dorothy", "George", "Melissa", "Timothy", "Deborah",
        "Ronald", "Stephanie", "Edward", "Rebecca", "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia",
        "Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Anna",
        "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Emma", "Scott", "Nicole", "Brandon", "Helen",
        "Benjamin", "Samantha", "Samuel", "Katherine", "Gregory", "Christine", "Alexander", "Debra", "Frank", "Rachel",
        "Raymond", "Carolyn", "Patrick", "Janet", "Jack", "Catherine", "Dennis", "Maria", "Jerry", "Heather",
        "Tyler", "Diane", "Aaron", "Ruth", "Jose", "Julie", "Adam", "Olivia", "Nathan", "Joyce",
        "Henry", "Virginia", "Douglas", "Victoria", "Zachary", "Kelly", "Peter", "Lauren", "Kyle", "Christina",
        "Noah", "Joan", "Ethan", "Evelyn", "Jeremy", "Judith", "Walter", "Megan", "Christian", "Andrea",
        "Keith", "Cheryl", "Roger", "Hannah", "Terry", "Jacqueline", "Austin", "Martha", "Sean", "Gloria",
        "Gerald", "Teresa", "Carl", "Ann", "Harold", "Sara", "Dylan", "Madison", "Arthur", "Frances",
        "Lawrence", "Kathryn", "Jordan", "Janice", "Jesse", "Jean", "Bryan", "Abigail", "Billy", "Alice",
        "Bruce", "Judy", "Gabriel", "Sophia", "Joe", "Grace", "Logan", "Denise", "Alan", "Amber",
        "Juan", "Doris", "Albert", "Marilyn", "Willie", "Danielle", "Elijah", "Beverly", "Wayne", "Isabella",
        "Randy", "Theresa", "Vincent", "Diana", "Mason", "Natalie", "Roy", "Brittany", "Ralph", "Charlotte",
        "Bobby", "Marie", "Russell", "Kayla", "Bradley", "Alexis", "Philip", "Lori", "Eugene", "Zoé",
    ];

    public static readonly string[] LastNames =
    [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
        "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
        "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
        "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
        "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
        "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
        "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
        "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
        "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham",
        "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson",
        "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
        "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Müller",
    ];

    /// <summary>First words of company names; a company-word query uses one of these.</summary>
    public static readonly string[] CompanyWords =
    [
        "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Wonka", "Cyberdyne",
        "Soylent", "Tyrell", "Massive", "Aperture", "Oscorp", "Gringotts", "Pied", "Dunder", "Prestige", "Monarch",
        "Northwind", "Contoso", "Fabrikam", "Litware", "Adatum", "Tailspin", "Woodgrove", "Proseware", "Lucerne", "Wingtip",
        "Blue", "Bright", "Silver", "Granite", "Harbor", "Summit", "Pioneer", "Evergreen", "Keystone", "Redwood",
    ];

    private static readonly string[] CompanySuffixes =
    [
        "Industries", "Systems", "Labs", "Logistics", "Holdings", "Partners", "Software", "Foods", "Energy", "Health",
        "Capital", "Media",
    ];

    private static readonly string[] Titles =
    [
        "CEO", "CTO", "VP of Sales", "Head of Marketing", "Account Executive", "Procurement Manager", "Office Manager",
        "Engineering Manager", "Customer Success Lead", "Operations Director", "Founder", "Buyer",
    ];

    private static readonly string[] Sources = ["web", "referral", "event", "import", "partner", "cold-call"];

    private static readonly string[] Tags = ["newsletter", "trial", "vip", "webinar", "churn-risk", "enterprise"];

    private static readonly string[] Domains =
    [
        "example.com", "example.org", "example.net", "mail.example.com", "corp.example", "acme.example",
        "globex.example", "initech.example", "contoso.example", "fabrikam.example",
    ];

    // Real US area codes; exchanges avoid N11 and 555 so every number is a valid one.
    private static readonly string[] AreaCodes =
    [
        "212", "213", "206", "303", "305", "310", "312", "404", "408", "415", "503", "512", "602", "617", "646",
        "650", "702", "713", "714", "718", "720", "773", "781", "818", "858", "917", "919", "949", "972", "978",
    ];

    /// <summary><paramref name="count"/> contacts; contact <c>i</c> is the same for a given seed whatever the count.</summary>
    public static ContactInput[] Generate(int count, int seed = 20261123)
    {
        var contacts = new ContactInput[count];
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            contacts[i] = Next(random, i);
        }

        return contacts;
    }

    private static ContactInput Next(Random random, int index)
    {
        var first = FirstNames[random.Next(FirstNames.Length)];
        var last = LastNames[random.Next(LastNames.Length)];
        var company = CompanyWords[random.Next(CompanyWords.Length)] + " " + CompanySuffixes[random.Next(CompanySuffixes.Length)];
        var local = Ascii(first) + "." + Ascii(last) + "." + index.ToString(CultureInfo.InvariantCulture);
        var email = local + "@" + Domains[random.Next(Domains.Length)];
        if (random.Next(4) == 0)
        {
            // Some people type their address in mixed case; the engine stores it lower-cased.
            email = first + "." + last + "." + index.ToString(CultureInfo.InvariantCulture) + email[local.Length..];
            email = Ascii(email, keepCase: true);
        }

        string phone;
        string national;
        do
        {
            var area = AreaCodes[random.Next(AreaCodes.Length)];
            int exchange;
            do
            {
                exchange = random.Next(200, 1000);
            }
            while (exchange % 100 == 11 || exchange == 555);

            var line = random.Next(10_000).ToString("D4", CultureInfo.InvariantCulture);
            national = area + exchange.ToString(CultureInfo.InvariantCulture) + line;
            phone = (random.Next(3)) switch
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
            company,
            Titles[random.Next(Titles.Length)],
            Sources[random.Next(Sources.Length)],
            Tags[random.Next(Tags.Length)]);
    }

    private static string Ascii(string s, bool keepCase = false)
    {
        var folded = s.Replace("é", "e", StringComparison.Ordinal).Replace("ü", "ue", StringComparison.Ordinal);
        return keepCase ? folded : folded.ToLowerInvariant();
    }
}
