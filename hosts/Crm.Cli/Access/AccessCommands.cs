using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Cli.Targets;
using Crm.Engine;
using Crm.Engine.Client;
using Crm.Engine.Domain;
using Spectre.Console;

namespace Crm.Cli.Access;

/// <summary><c>crm tenants</c>, <c>crm users</c> and <c>crm keys</c>.</summary>
internal static class AccessCommands
{
    public static Command CreateTenants(CliApp app)
    {
        var list = new Command("list", "Lists the tenants (an admin key of the bootstrap tenant).");
        list.SetAction(app.Guard(async (parse, ct) =>
        {
            await using var target = await OpenRemoteAsync(app, parse, "tenants", ct);
            var tenants = await Remote(target, "tenants").Client.Tenants.ListAsync(ct);
            var table = new Table().AddColumn("Id").AddColumn("Name").AddColumn("Created");
            foreach (var t in tenants) table.AddRow(Markup.Escape(t.Id), Markup.Escape(t.Name), t.CreatedAt.ToString("u", CultureInfo.InvariantCulture));
            app.Console.Write(table);
            return 0;
        }));

        var id = new Argument<string>("id") { Description = "The tenant id: lower-case letters, digits, '-', '_'." };
        var name = new Option<string?>("--name") { Description = "Its display name." };
        var adminEmail = new Option<string?>("--admin-email") { Description = "The e-mail of its first admin user." };
        var create = new Command("create", "Creates a tenant with an admin user; prints the admin's key (shown once).") { id, name, adminEmail };
        create.SetAction(app.Guard(async (parse, ct) =>
        {
            await using var target = await OpenRemoteAsync(app, parse, "tenants", ct);
            var created = await Remote(target, "tenants").Client.Tenants.CreateAsync(parse.GetValue(id)!, parse.GetValue(name), adminEmail: parse.GetValue(adminEmail), cancellationToken: ct);
            app.Console.MarkupLine($"Created tenant [green]{Markup.Escape(created.Id)}[/] with admin user {Markup.Escape(created.AdminUserId)}.");
            app.Console.MarkupLine($"Admin key (shown once): [bold]{Markup.Escape(created.AdminKey)}[/]");
            return 0;
        }));
        return new Command("tenants", "Tenants: list, create (on a server).") { list, create };
    }

    public static Command CreateUsers(CliApp app)
    {
        var list = new Command("list", "Lists the users of the tenant.");
        list.SetAction(app.Guard(async (parse, ct) =>
        {
            await using var target = await app.Target(parse).OpenAsync(ct);
            var table = new Table().AddColumn("Id").AddColumn("Name").AddColumn("E-mail").AddColumn("Role").AddColumn("Active");
            await foreach (var user in target.ListAsync(RecordTypes.User, null, ct))
            {
                table.AddRow(Text(user, "id"), Text(user, "name"), Text(user, "email"), Text(user, "role"), Markup.Escape(user["active"]?.ToJsonString() ?? ""));
            }

            app.Console.Write(table);
            return 0;
        }));

        var name = new Argument<string>("name") { Description = "The user's name." };
        var email = new Option<string?>("--email") { Description = "The user's e-mail." };
        var role = new Option<string>("--role") { Description = "admin, manager, agent or readonly.", DefaultValueFactory = _ => "agent" };
        role.AcceptOnlyFromAmong("admin", "manager", "agent", "readonly");
        var create = new Command("create", "Creates a user (give it a key with crm keys create).") { name, email, role };
        create.SetAction(app.Guard(async (parse, ct) =>
        {
            await using var target = await app.Target(parse).OpenAsync(ct);
            var fields = new JsonObject { ["name"] = parse.GetValue(name), ["role"] = parse.GetValue(role) };
            if (parse.GetValue(email) is { } e) fields["email"] = e;
            try
            {
                var user = await target.CreateAsync(RecordTypes.User, RecordIds.New(), fields, ct);
                app.Console.MarkupLine($"Created user [green]{Markup.Escape(user.Id)}[/] ({Markup.Escape(parse.GetValue(role)!)}).");
                return 0;
            }
            catch (TargetWriteException ex)
            {
                return app.Error("The user was not created: " + string.Join("; ", ex.Reasons), CliApp.Failed);
            }
        }));
        return new Command("users", "Users of the tenant: list, create.") { list, create };
    }

    public static Command CreateKeys(CliApp app)
    {
        var list = new Command("list", "Lists the tenant's API keys (never their secrets).");
        list.SetAction(app.Guard(async (parse, ct) =>
        {
            await using var target = await OpenRemoteAsync(app, parse, "keys", ct);
            var keys = await Remote(target, "keys").Client.Keys.ListAsync(ct);
            var table = new Table().AddColumn("Key id").AddColumn("User").AddColumn("Role").AddColumn("Name").AddColumn("Created").AddColumn("Revoked");
            foreach (var k in keys)
            {
                table.AddRow(Markup.Escape(k.KeyId), Markup.Escape(k.UserId), Markup.Escape(k.Role), Markup.Escape(k.Name),
                    k.CreatedAt.ToString("u", CultureInfo.InvariantCulture), k.RevokedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "");
            }

            app.Console.Write(table);
            return 0;
        }));

        var user = new Argument<string>("userId") { Description = "The user the key acts as." };
        var role = new Option<string>("--role") { Description = "admin, manager, agent or readonly.", DefaultValueFactory = _ => "agent" };
        role.AcceptOnlyFromAmong("admin", "manager", "agent", "readonly");
        var name = new Option<string?>("--name") { Description = "A name to recognise the key by." };
        var create = new Command("create", "Issues an API key for a user; prints the secret (shown once).") { user, role, name };
        create.SetAction(app.Guard(async (parse, ct) =>
        {
            await using var target = await OpenRemoteAsync(app, parse, "keys", ct);
            var apiRole = parse.GetValue(role) switch { "admin" => ApiRole.Admin, "manager" => ApiRole.Manager, "readonly" => ApiRole.ReadOnly, _ => ApiRole.Agent };
            var issued = await Remote(target, "keys").Client.Keys.CreateAsync(parse.GetValue(user)!, apiRole, parse.GetValue(name), ct);
            app.Console.MarkupLine($"Created key [green]{Markup.Escape(issued.Info.KeyId)}[/] for {Markup.Escape(issued.Info.UserId)} ({Markup.Escape(issued.Info.Role)}).");
            app.Console.MarkupLine($"Key (shown once): [bold]{Markup.Escape(issued.Key)}[/]");
            return 0;
        }));

        var keyId = new Argument<string>("keyId") { Description = "The key id (from crm keys list)." };
        var revoke = new Command("revoke", "Revokes a key: it stops working at once.") { keyId };
        revoke.SetAction(app.Guard(async (parse, ct) =>
        {
            await using var target = await OpenRemoteAsync(app, parse, "keys", ct);
            var revoked = await Remote(target, "keys").Client.Keys.RevokeAsync(parse.GetValue(keyId)!, ct);
            app.Console.MarkupLine($"Revoked key [green]{Markup.Escape(revoked.KeyId)}[/].");
            return 0;
        }));
        return new Command("keys", "API keys of the tenant: list, create, revoke (on a server).") { list, create, revoke };
    }

    /// <summary>Opens the server; on a data directory, refuses before starting an engine for nothing.</summary>
    internal static async Task<ICrmTarget> OpenRemoteAsync(CliApp app, System.CommandLine.ParseResult parse, string what, CancellationToken ct)
    {
        var settings = app.Target(parse);
        if (settings.DataPath is not null) Remote(null, what);
        return await settings.OpenAsync(ct);
    }

    internal static IRemoteTarget Remote(ICrmTarget? target, string what) =>
        target as IRemoteTarget ?? throw new CliUsageException(
            $"{what} are managed by a server: run this with --url <server> --key <admin key>. On a data directory, start a server on it first (hosts/Crm.Server, Crm:DataPath).");

    private static string Text(JsonObject o, string name) => Markup.Escape(o[name]?.GetValue<string>() ?? "");
}
