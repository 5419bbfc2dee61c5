using System.Text;
using Crm.Cli.Targets;
using Crm.Engine;

namespace Crm.Cli.Tests;

/// <summary><c>crm import</c> on a data directory: a messy real-world file, exact counts, line numbers, re-runs.</summary>
public sealed class ImportTests
{
    /// <summary>
    /// A byte-order mark, a quoted comma, a quoted line break, \r\n, \n and a lone \r as line endings, UTF-8 names,
    /// the same person twice with differently-cased e-mails, a blank row, an empty line, and four bad rows.
    /// </summary>
    internal static readonly string MessyCsv =
        "\uFEFFE-mail,First Name,Last Name,Company,Phone,Tags,Notes\r\n" +                       // 1
        "ada@example.com,Ada,Lovelace,\"Analytical Engines, Ltd.\",+44 20 7946 0958,vip;math,first\n" + // 2 created
        "ADA@Example.COM,Ada,Lovelace,,,,same person\r\n" +                                           // 3 merged into 2
        "\"zoe@example.com\",Zoë,Ström,\"Acme\nLabs\",,,\r" +                                         // 4-5 created
        ",,,,,,\r\n" +                                                                                 // 6 blank
        "\n" +                                                                                         // 7 empty line
        "not-an-email,Bad,Row,,,,\r\n" +                                                               // 8 rejected: email
        "bob@example.com,Bob,\"O\"Neil\",,,,\n" +                                                      // 9 rejected: quoting
        "carl@example.com,Carl\n" +                                                                    // 10 rejected: 2 fields
        "Bjorn@Example.com,Björn,Müller,\"Käse \"\"AG\"\"\",,,\n" +                                    // 11 merged into 12
        "bjorn@EXAMPLE.com,Björn,Müller,Käse GmbH,,,\n" +                                              // 12 created
        ",,Nobody,,,,\n" +                                                                             // 13 created (no email)
        "dave@example.com,Dave,,,not a phone,,\r\n" +                                                  // 14 rejected: phone
        "eve@example.com,Eve,Smith,,,,";                                                               // 15 created, no final newline

    [Fact]
    public async Task Messy_file_imports_with_exact_counts_and_rejected_rows_named_by_line()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("contacts.csv");
        await File.WriteAllTextAsync(csv, MessyCsv, new UTF8Encoding(false), TestContext.Current.CancellationToken);
        var data = dir.File("data");

        var (exit, output) = await CliRun.RunAsync("import", "contacts", csv, "--data", data, "--rejects", dir.File("rejects.csv"));

        Assert.Equal(0, exit);
        Assert.Contains("created 5, updated 0, unchanged 0, merged 2, rejected 4, blank 1 — 12 rows", output);
        Assert.Contains("Not imported (no matching field; use --map \"Header=field\"): Notes", output);
        var rejects = (await File.ReadAllLinesAsync(dir.File("rejects.csv"), TestContext.Current.CancellationToken)).Skip(1).ToList();
        Assert.Equal(4, rejects.Count);
        Assert.StartsWith("8,email: 'not-an-email' is not a valid email address", rejects[0]);
        Assert.StartsWith("9,malformed CSV", rejects[1]);
        Assert.StartsWith("10,has 2 fields where the header has 7", rejects[2]);
        Assert.StartsWith("14,phone:", rejects[3]);

        await using var engine = await EmbeddedTarget.StartAsync(data, "default", TestContext.Current.CancellationToken);
        var contacts = await engine.Client.QueryAsync(RecordTypes.Contact, new RecordQuery { Limit = 100 });
        Assert.Equal(5, contacts.Items.Count);
        var ada = await engine.Client.FindAsync(RecordTypes.Contact, "email", "ada@example.com");
        Assert.Equal("Analytical Engines, Ltd.", ada!.GetString("company"));
        Assert.Equal("+442079460958", ada.GetString("phone"));
        Assert.Equal("""["vip","math"]""", ada.Get("tags")!.ToJsonString());
        var zoe = await engine.Client.FindAsync(RecordTypes.Contact, "email", "zoe@example.com");
        Assert.Equal(("Zoë", "Ström", "Acme\nLabs"), (zoe!.GetString("firstName"), zoe.GetString("lastName"), zoe.GetString("company")));
        var bjorn = await engine.Client.FindAsync(RecordTypes.Contact, "email", "BJORN@example.com");
        Assert.Equal(("Björn", "Müller", "Käse GmbH"), (bjorn!.GetString("firstName"), bjorn.GetString("lastName"), bjorn.GetString("company")));
        Assert.Equal(1, bjorn.Version);
    }

    [Fact]
    public async Task Importing_the_same_file_again_creates_nothing_and_writes_no_event()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("contacts.csv");
        await File.WriteAllTextAsync(csv, MessyCsv, TestContext.Current.CancellationToken);
        var data = dir.File("data");
        Assert.Equal(0, (await CliRun.RunAsync("import", "contacts", csv, "--data", data)).Exit);

        var (exit, output) = await CliRun.RunAsync("import", "contacts", csv, "--data", data);

        Assert.Equal(0, exit);
        Assert.Contains("created 0, updated 0, unchanged 5, merged 2, rejected 4, blank 1", output);
        await using var engine = await EmbeddedTarget.StartAsync(data, "default", TestContext.Current.CancellationToken);
        var contacts = await engine.Client.QueryAsync(RecordTypes.Contact, new RecordQuery { Limit = 100 });
        Assert.Equal(5, contacts.Items.Count);
        Assert.All(contacts.Items, c => Assert.Equal(1, c.Version));
    }

    [Fact]
    public async Task A_changed_row_updates_the_record_it_matches_by_email_whatever_its_id()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        string existingId;
        await using (var engine = await EmbeddedTarget.StartAsync(data, "default", TestContext.Current.CancellationToken))
        {
            existingId = (await engine.Client.CreateAsync(RecordTypes.Contact, new() { ["email"] = "Grace@Example.com", ["firstName"] = "Grace" })).Id;
        }

        var csv = dir.File("people.csv");
        await File.WriteAllTextAsync(csv, "Email Address,Given,Job\ngrace@example.com,Grace,Rear Admiral\nnew@example.com,New,Intern\n", TestContext.Current.CancellationToken);

        var (exit, output) = await CliRun.RunAsync("import", "contacts", csv, "--data", data, "--map", "Given=firstName", "--map", "Job=title");

        Assert.Equal(0, exit);
        Assert.Contains("Email Address → email, Given → firstName, Job → title", output);
        Assert.Contains("created 1, updated 1, unchanged 0", output);
        await using var after = await EmbeddedTarget.StartAsync(data, "default", TestContext.Current.CancellationToken);
        var grace = await after.Client.GetAsync(RecordTypes.Contact, existingId);
        Assert.Equal("Rear Admiral", grace!.GetString("title"));
    }

    [Fact]
    public async Task A_map_naming_a_column_the_file_lacks_is_refused_before_anything_is_written()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("people.csv");
        await File.WriteAllTextAsync(csv, "email\na@example.com\n", TestContext.Current.CancellationToken);

        var (exit, output) = await CliRun.RunAsync("import", "contacts", csv, "--data", dir.File("data"), "--map", "Mail=email");

        Assert.Equal(CliApp.Refused, exit);
        Assert.Contains("--map names the column 'Mail', which the file does not have", output);
    }

    [Fact]
    public async Task Accounts_are_matched_by_name_and_deals_by_external_id()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        var accounts = dir.File("accounts.csv");
        await File.WriteAllTextAsync(accounts, "Company,Website,Employees\nAcme Corp,https://acme.example,50\n  acme   CORP ,,75\nGlobex,,oops\n", TestContext.Current.CancellationToken);
        var deals = dir.File("deals.csv");
        await File.WriteAllTextAsync(deals, "External Id,Deal Name,Amount\nD-1,Big one,1200.50\nD-2,Small one,10\n", TestContext.Current.CancellationToken);

        var (accountExit, accountOutput) = await CliRun.RunAsync("import", "accounts", accounts, "--data", data);
        var (dealExit, dealOutput) = await CliRun.RunAsync("import", "deals", deals, "--data", data);
        var (againExit, againOutput) = await CliRun.RunAsync("import", "deals", deals, "--data", data);

        Assert.Equal((0, 0, 0), (accountExit, dealExit, againExit));
        Assert.Contains("created 1, updated 0, unchanged 0, merged 1, rejected 1", accountOutput);
        Assert.Contains("size: must be a whole number", accountOutput);
        Assert.Contains("created 2, updated 0", dealOutput);
        Assert.Contains("created 0, updated 0, unchanged 2", againOutput);
    }

    [Fact]
    public async Task A_terminal_shows_a_progress_bar_with_rows_and_rate()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("contacts.csv");
        await File.WriteAllTextAsync(csv, "email,last name\n" + string.Concat(Enumerable.Range(0, 300).Select(i => $"p{i}@example.com,Person {i}\n")), TestContext.Current.CancellationToken);

        var (exit, output) = await CliRun.RunInteractiveAsync("import", "contacts", csv, "--data", dir.File("data"));

        Assert.Equal(0, exit);
        Assert.Contains("Importing contacts.csv", output);
        Assert.Contains("100%", output);
        Assert.Contains("300 rows", output);
        Assert.Contains("/s", output);
        Assert.Contains("created 300,", output);
    }

    [Fact]
    public async Task An_unknown_record_type_is_refused_with_the_ones_there_are()
    {
        var (exit, output) = await CliRun.RunAsync("import", "pets", "pets.csv", "--data", "unused");

        Assert.Equal(CliApp.Refused, exit);
        Assert.Contains("Argument 'pets' not recognized", output);
        Assert.Contains("'contacts'", output);
    }

    [Fact]
    public async Task A_semicolon_separated_spreadsheet_export_is_read_as_such()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("excel.csv");
        await File.WriteAllTextAsync(csv, "Vorname;Nachname;E-Mail;Firma\r\nJürgen;Weiß;juergen@example.de;\"Müller; Söhne\"\r\n", TestContext.Current.CancellationToken);

        var (exit, output) = await CliRun.RunAsync("import", "contacts", csv, "--data", dir.File("data"), "--map", "Vorname=firstName", "--map", "Nachname=lastName", "--map", "Firma=company");

        Assert.Equal(0, exit);
        Assert.Contains("created 1, updated 0", output);
        await using var engine = await EmbeddedTarget.StartAsync(dir.File("data"), "default", TestContext.Current.CancellationToken);
        var jurgen = await engine.Client.FindAsync(RecordTypes.Contact, "email", "juergen@example.de");
        Assert.Equal(("Jürgen", "Weiß", "Müller; Söhne"), (jurgen!.GetString("firstName"), jurgen.GetString("lastName"), jurgen.GetString("company")));
    }
}
