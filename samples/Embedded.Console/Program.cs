using System.Text.Json.Nodes;
using Crm.Engine;
using Crm.Engine.Hosting;
using Crm.Engine.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// An application embedding the CRM engine: one SQLite file, no server.
var dataPath = args.Length > 0 ? args[0] : Path.Combine("data", "crm.db");
var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.AddCrmEngine(o => o.UseSqlite(dataPath));
using var host = builder.Build();
await host.StartAsync();

var crm = host.Services.GetRequiredService<ICrmClient>();

// Contacts are found by their normalised email; a second run finds the one the first run made.
var existing = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Filter = Filter.Eq("email", "ada@example.com") });
var ada = existing.Items.FirstOrDefault() ?? await crm.CreateAsync(RecordTypes.Contact, new JsonObject
{
    ["firstName"] = "Ada",
    ["lastName"] = "Lovelace",
    ["email"] = " Ada@Example.com ",
    ["phone"] = "+44 20 7946 0958",
    ["company"] = "Analytical Engines Ltd",
    ["tags"] = new JsonArray("vip"),
});
Console.WriteLine($"Contact {ada.Id} v{ada.Version}: {ada.GetString("firstName")} {ada.GetString("lastName")} <{ada.GetString("email")}> {ada.GetString("phone")}");

// Consent: unknown means no until the contact grants it.
var before = await crm.MayContactAsync(ada.Id, "ada@example.com", "newsletter", Channels.Email);
Console.WriteLine($"May we send the newsletter? {before.Allowed} — {before.Reason}");
await crm.SetConsentAsync(ada.Id, new ConsentChange
{
    Purpose = "newsletter",
    Channel = Channels.Email,
    Address = "ada@example.com",
    Status = ConsentStatus.Granted,
    Source = "signup form",
    Proof = "Yes, send me the monthly newsletter.",
});
var after = await crm.MayContactAsync(ada.Id, "ada@example.com", "newsletter", Channels.Email);
Console.WriteLine($"And now? {after.Allowed} — {after.Reason}");

// A deal moves through the pipeline; each stage's entry time is kept.
var deal = await crm.CreateAsync(RecordTypes.Deal, new JsonObject { ["name"] = "Difference Engine No. 2", ["amount"] = 17470.00m, ["currency"] = "GBP" });
await crm.LinkAsync(RecordTypes.Deal, deal.Id, new RecordLink(RecordTypes.Contact, ada.Id, "buyer"));
deal = await crm.UpdateAsync(RecordTypes.Deal, deal.Id, new JsonObject { ["stage"] = "proposal" });
Console.WriteLine($"Deal {deal.GetString("name")}: {deal.GetString("stage")} at {deal.Get("probability")}%, {deal.Get("amount")} {deal.GetString("currency")}");

// A call logged against the contact shows on its timeline.
var call = await crm.CreateAsync(RecordTypes.Interaction, new JsonObject { ["kind"] = "call", ["subject"] = "Discussed the proposal", ["direction"] = "outbound" });
await crm.LinkAsync(RecordTypes.Interaction, call.Id, new RecordLink(RecordTypes.Contact, ada.Id));
var timeline = await crm.GetTimelineAsync(RecordTypes.Contact, ada.Id, limit: 10);
Console.WriteLine("Timeline (newest first):");
foreach (var e in timeline.Items) Console.WriteLine($"  {e.Time:u}  {e.StreamId,-40} {e.Type} by {e.Actor}");

var found = await crm.QueryAsync(RecordTypes.Contact, new RecordQuery { Text = "lovel" });
Console.WriteLine($"Search 'lovel' finds {found.Items.Count} contact(s).");

await host.StopAsync();
