using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Engine.Client;

namespace Crm.Server.IntegrationTests;

/// <summary>
/// Requests a client should never send: every one answers 4xx with <c>application/problem+json</c>, never 500,
/// and writes nothing (the tenant's records, versions, keys and settings are the same after it).
/// </summary>
public sealed class MalformedRequestTests(CrmServerFixture fixture)
{
    private enum Auth
    {
        Admin,
        None,
        Unknown,
        Revoked,
        BasicScheme,
        EmptyBearer,
        Bootstrap,
    }

    /// <summary>A body: JSON text (where <c>{contact}</c> and <c>{account}</c> name the world's records), raw bytes, or text sent chunked.</summary>
    private sealed record Payload(string? Text, byte[]? Bytes = null, bool Chunked = false);

    private sealed record Case(HttpMethod Method, string Path, Payload? Body, Auth Auth = Auth.Admin, int? Status = null,
        string ContentType = "application/json", IReadOnlyDictionary<string, string>? Headers = null, bool ExpectContinue = false);

    /// <summary>The tenant the cases run against, made once: a contact (<c>{contact}</c>) and a revoked key.</summary>
    private sealed record World(TenantScope Tenant, string ContactId, string RevokedKey);

    private static readonly SemaphoreSlim WorldGate = new(1, 1);
    private static World? _world;

    private static Payload Json(string json) => new(json);

    private static Payload Bytes(byte[] bytes) => new(null, bytes);

    private static Payload Chunked(string json) => new(json, Chunked: true);

    private static readonly Payload? NoBody = null;

    private static string Repeat(char c, int n) => new(c, n);

    private static string Nested(int depth) => "{\"firstName\":\"Deep\",\"custom\":" + string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + Repeat('}', depth) + "}";

    private static readonly Dictionary<string, string> StaleOrBad = new() { ["If-Match"] = "\"abc\"" };

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Bodies that are not one JSON object.
        ["json: truncated"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"""), Status: 400),
        ["json: unquoted names"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{firstName:"Ada"}"""), Status: 400),
        ["json: trailing comma"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada",}"""), Status: 400),
        ["json: single quotes"] = new(HttpMethod.Post, "api/v1/contacts", Json("{'firstName':'Ada'}"), Status: 400),
        ["json: comment"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada" /* hi */}"""), Status: 400),
        ["json: array"] = new(HttpMethod.Post, "api/v1/contacts", Json("""[{"firstName":"Ada"}]"""), Status: 400),
        ["json: string"] = new(HttpMethod.Post, "api/v1/contacts", Json("\"Ada\""), Status: 400),
        ["json: number"] = new(HttpMethod.Post, "api/v1/contacts", Json("42"), Status: 400),
        ["json: null"] = new(HttpMethod.Post, "api/v1/contacts", Json("null"), Status: 400),
        ["json: empty body"] = new(HttpMethod.Post, "api/v1/contacts", Json(""), Status: 400),
        ["json: only spaces"] = new(HttpMethod.Post, "api/v1/contacts", Json("   "), Status: 400),
        ["json: two objects"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"A"}{"firstName":"B"}"""), Status: 400),
        ["json: NaN"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada","tags":[NaN]}"""), Status: 400),
        ["json: invalid UTF-8"] = new(HttpMethod.Post, "api/v1/contacts", Bytes([.. "{\"firstName\":\""u8, 0xFF, 0xFE, .. "\"}"u8]), Status: 400),
        ["json: nested 100 deep"] = new(HttpMethod.Post, "api/v1/contacts", Json(Nested(100)), Status: 400),
        ["json: PATCH with an array"] = new(HttpMethod.Patch, "api/v1/contacts/{contact}", Json("""[{"op":"replace","path":"/title","value":"x"}]"""), Status: 400),

        // Wrong types, unknown and invalid fields.
        ["type: firstName number"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":42}"""), Status: 400),
        ["type: tags string"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada","tags":"vip"}"""), Status: 400),
        ["type: tags of numbers"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada","tags":[1,2]}"""), Status: 400),
        ["type: email boolean"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada","email":true}"""), Status: 400),
        ["type: custom not an object"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada","custom":"x"}"""), Status: 400),
        ["type: id number"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"id":5,"firstName":"Ada"}"""), Status: 400),
        ["type: deal amount text"] = new(HttpMethod.Post, "api/v1/deals", Json("""{"name":"D","amount":"lots"}"""), Status: 400),
        ["type: deal amount object"] = new(HttpMethod.Post, "api/v1/deals", Json("""{"name":"D","amount":{"value":1}}"""), Status: 400),
        ["type: case status number"] = new(HttpMethod.Post, "api/v1/cases", Json("""{"subject":"S","status":7}"""), Status: 400),
        ["type: PATCH firstName array"] = new(HttpMethod.Patch, "api/v1/contacts/{contact}", Json("""{"firstName":["A"]}"""), Status: 400),
        ["field: unknown"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada","shoeSize":42}"""), Status: 400),
        ["field: unknown in PATCH"] = new(HttpMethod.Patch, "api/v1/contacts/{contact}", Json("""{"shoeSize":42}"""), Status: 400),
        ["field: undefined custom field"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada","custom":{"nope":1}}"""), Status: 400),
        ["field: invalid email"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada","email":"not-an-email"}"""), Status: 400),
        ["field: invalid phone"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada","phone":"call me maybe"}"""), Status: 400),
        ["field: unknown lifecycle stage"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada","lifecycleStage":"alien"}"""), Status: 400),
        ["field: contact without a name or address"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"title":"Nobody"}"""), Status: 400),
        ["field: unknown case priority"] = new(HttpMethod.Post, "api/v1/cases", Json("""{"subject":"S","priority":"whenever"}"""), Status: 400),
        ["field: unknown user role"] = new(HttpMethod.Post, "api/v1/users", Json("""{"name":"U","email":"u@example.com","role":"superuser"}"""), Status: 400),
        ["field: user without email"] = new(HttpMethod.Post, "api/v1/users", Json("""{"name":"U"}"""), Status: 400),
        ["field: unknown interaction kind"] = new(HttpMethod.Post, "api/v1/interactions", Json("""{"kind":"telepathy"}"""), Status: 400),
        ["field: PATCH clears a required field"] = new(HttpMethod.Patch, "api/v1/accounts/{account}", Json("""{"name":null}"""), Status: 400),

        // Oversize bodies (limit 1 MiB). With a length, the client asks before sending (Expect: 100-continue, as curl does),
        // so the 413 arrives before the body; without one, the body is only a little over, so it is all sent before the answer.
        ["size: 1.1 MiB create"] = new(HttpMethod.Post, "api/v1/contacts", Json("{\"firstName\":\"" + Repeat('a', 1_150_000) + "\"}"), Status: 413, ExpectContinue: true),
        ["size: 1 MiB + 2 KiB chunked create"] = new(HttpMethod.Post, "api/v1/contacts", Chunked("{\"firstName\":\"" + Repeat('a', 1024 * 1024 + 2048) + "\"}"), Status: 413),
        ["size: 1.1 MiB PATCH"] = new(HttpMethod.Patch, "api/v1/contacts/{contact}", Json("{\"title\":\"" + Repeat('a', 1_150_000) + "\"}"), Status: 413, ExpectContinue: true),
        ["size: 1.1 MiB batch"] = new(HttpMethod.Post, "api/v1/contacts/batch", Json("{\"items\":[" + string.Join(",", Enumerable.Repeat("{\"firstName\":\"" + Repeat('b', 1100) + "\"}", 1000)) + "]}"), Status: 413, ExpectContinue: true),
        ["size: 1.1 MiB consent"] = new(HttpMethod.Put, "api/v1/contacts/{contact}/consent/marketing/email", Json("{\"status\":\"granted\",\"source\":\"" + Repeat('s', 1_150_000) + "\"}"), Status: 413, ExpectContinue: true),

        // Content types.
        ["content type: text/plain"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada"}"""), ContentType: "text/plain"),
        ["content type: xml"] = new(HttpMethod.Post, "api/v1/contacts", Json("<contact><firstName>Ada</firstName></contact>"), ContentType: "application/xml"),
        ["content type: form"] = new(HttpMethod.Post, "api/v1/contacts", Json("firstName=Ada"), ContentType: "application/x-www-form-urlencoded"),

        // Ids.
        ["id: with spaces and punctuation"] = new(HttpMethod.Get, "api/v1/contacts/bad%20id!", NoBody, Status: 404),
        ["id: 200 characters"] = new(HttpMethod.Get, "api/v1/contacts/" + Repeat('x', 200), NoBody, Status: 404),
        ["id: PATCH bad id"] = new(HttpMethod.Patch, "api/v1/contacts/bad%20id!", Json("""{"title":"x"}"""), Status: 404),
        ["id: DELETE bad id"] = new(HttpMethod.Delete, "api/v1/contacts/bad%20id!", NoBody, Status: 404),
        ["id: history of a bad id"] = new(HttpMethod.Get, "api/v1/contacts/bad%20id!/history", NoBody, Status: 404),
        ["id: restore of a missing record"] = new(HttpMethod.Post, "api/v1/contacts/no-such-contact/restore", NoBody, Status: 404),
        ["id: create with an invalid id"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"id":"bad id!","firstName":"Ada"}"""), Status: 400),
        ["id: create with a 100-character id"] = new(HttpMethod.Post, "api/v1/contacts", Json("{\"id\":\"" + Repeat('x', 100) + "\",\"firstName\":\"Ada\"}"), Status: 400),
        ["id: create with a taken id"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"id":"{contact}","firstName":"Ada"}"""), Status: 409),

        // Cursors, filters, times, limits, sorting.
        ["cursor: not base64"] = new(HttpMethod.Get, "api/v1/contacts?cursor=!!!", NoBody, Status: 400),
        ["cursor: wrong shape"] = new(HttpMethod.Get, "api/v1/contacts?cursor=AAAA", NoBody, Status: 400),
        ["cursor: keyed cursor on an unsorted list"] = new(HttpMethod.Get, "api/v1/contacts?cursor=SwMAAAAAAAAAAA", NoBody, Status: 400),
        ["cursor: history"] = new(HttpMethod.Get, "api/v1/contacts/{contact}/history?cursor=!!!", NoBody, Status: 400),
        ["cursor: timeline"] = new(HttpMethod.Get, "api/v1/contacts/{contact}/timeline?cursor=zzzz", NoBody, Status: 400),
        ["filter: missing value"] = new(HttpMethod.Get, "api/v1/contacts?filter=" + Uri.EscapeDataString("firstName eq"), NoBody, Status: 400),
        ["filter: unknown operator"] = new(HttpMethod.Get, "api/v1/contacts?filter=" + Uri.EscapeDataString("firstName equals \"a\""), NoBody, Status: 400),
        ["filter: unterminated string"] = new(HttpMethod.Get, "api/v1/contacts?filter=" + Uri.EscapeDataString("firstName eq \"a"), NoBody, Status: 400),
        ["filter: unclosed parenthesis"] = new(HttpMethod.Get, "api/v1/contacts?filter=" + Uri.EscapeDataString("(firstName eq \"a\""), NoBody, Status: 400),
        ["filter: 5,000 characters"] = new(HttpMethod.Get, "api/v1/contacts?filter=" + Uri.EscapeDataString("firstName eq \"" + Repeat('a', 5000) + "\""), NoBody, Status: 400),
        ["filter: control character"] = new(HttpMethod.Get, "api/v1/contacts?filter=" + Uri.EscapeDataString("firstName eq\u0001\"a\""), NoBody, Status: 400),
        ["filter: SQL"] = new(HttpMethod.Get, "api/v1/contacts?filter=" + Uri.EscapeDataString("1=1; DROP TABLE records"), NoBody, Status: 400),
        ["asOf: a word"] = new(HttpMethod.Get, "api/v1/contacts/{contact}?asOf=yesterday", NoBody, Status: 400),
        ["asOf: impossible date"] = new(HttpMethod.Get, "api/v1/contacts/{contact}?asOf=2024-13-45", NoBody, Status: 400),
        ["asOf: consent"] = new(HttpMethod.Get, "api/v1/contacts/{contact}/consent?asOf=soon", NoBody, Status: 400),
        ["asOf: settings"] = new(HttpMethod.Get, "api/v1/settings?asOf=soon", NoBody, Status: 400),
        ["at: consent check"] = new(HttpMethod.Get, "api/v1/contacts/{contact}/consent/check?address=ada%40example.com&purpose=sales&channel=email&at=never", NoBody, Status: 400),
        ["limit: 0"] = new(HttpMethod.Get, "api/v1/contacts?limit=0", NoBody, Status: 400),
        ["limit: 1001"] = new(HttpMethod.Get, "api/v1/contacts?limit=1001", NoBody, Status: 400),
        ["limit: negative"] = new(HttpMethod.Get, "api/v1/contacts?limit=-5", NoBody, Status: 400),
        ["limit: not a number"] = new(HttpMethod.Get, "api/v1/contacts?limit=abc", NoBody, Status: 400),
        ["limit: history 0"] = new(HttpMethod.Get, "api/v1/contacts/{contact}/history?limit=0", NoBody, Status: 400),
        ["limit: timeline 100000"] = new(HttpMethod.Get, "api/v1/contacts/{contact}/timeline?limit=100000", NoBody, Status: 400),
        ["includeDeleted: not a boolean"] = new(HttpMethod.Get, "api/v1/contacts?includeDeleted=maybe", NoBody, Status: 400),
        ["q: 501 characters"] = new(HttpMethod.Get, "api/v1/contacts?q=" + Repeat('a', 501), NoBody, Status: 400),
        ["sort: not a field name"] = new(HttpMethod.Get, "api/v1/contacts?sort=" + Uri.EscapeDataString("first name; DROP TABLE records"), NoBody, Status: 400),

        // If-Match.
        ["If-Match: not a version"] = new(HttpMethod.Patch, "api/v1/contacts/{contact}", Json("""{"title":"x"}"""), Headers: StaleOrBad, Status: 400),
        ["If-Match: weak, not a version"] = new(HttpMethod.Delete, "api/v1/contacts/{contact}", NoBody, Headers: new Dictionary<string, string> { ["If-Match"] = "W/\"x\"" }, Status: 400),
        ["If-Match: negative"] = new(HttpMethod.Patch, "api/v1/contacts/{contact}", Json("""{"title":"x"}"""), Headers: new Dictionary<string, string> { ["If-Match"] = "\"-1\"" }, Status: 400),
        ["If-Match: stale"] = new(HttpMethod.Patch, "api/v1/contacts/{contact}", Json("""{"title":"x"}"""), Headers: new Dictionary<string, string> { ["If-Match"] = "\"99\"" }, Status: 412),
        ["Idempotency-Key: 201 characters"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada"}"""), Headers: new Dictionary<string, string> { ["Idempotency-Key"] = Repeat('k', 201) }, Status: 400),

        // Authentication.
        ["auth: none"] = new(HttpMethod.Get, "api/v1/contacts", NoBody, Auth.None, 401),
        ["auth: none on a write"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada"}"""), Auth.None, 401),
        ["auth: Basic scheme"] = new(HttpMethod.Get, "api/v1/contacts", NoBody, Auth.BasicScheme, 401),
        ["auth: empty bearer"] = new(HttpMethod.Get, "api/v1/contacts", NoBody, Auth.EmptyBearer, 401),
        ["auth: unknown key"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada"}"""), Auth.Unknown, 401),
        ["auth: revoked key"] = new(HttpMethod.Post, "api/v1/contacts", Json("""{"firstName":"Ada"}"""), Auth.Revoked, 401),
        ["auth: revoked key reading"] = new(HttpMethod.Get, "api/v1/contacts/{contact}", NoBody, Auth.Revoked, 401),

        // Routes.
        ["route: unknown resource"] = new(HttpMethod.Get, "api/v1/widgets", NoBody, Status: 404),
        ["route: unknown version"] = new(HttpMethod.Get, "api/v2/contacts", NoBody, Status: 404),
        ["route: method not allowed"] = new(HttpMethod.Put, "api/v1/contacts", Json("""{"firstName":"Ada"}"""), Status: 405),
        ["route: no upsert for interactions"] = new(HttpMethod.Put, "api/v1/interactions/by-external-id/x-1", Json("""{"kind":"note"}"""), Status: 404),

        // Batches and links.
        ["batch: items not an array"] = new(HttpMethod.Post, "api/v1/contacts/batch", Json("""{"items":{"firstName":"Ada"}}"""), Status: 400),
        ["batch: no items"] = new(HttpMethod.Post, "api/v1/contacts/batch", Json("""{"rows":[]}"""), Status: 400),
        ["batch: 1001 items"] = new(HttpMethod.Post, "api/v1/tasks/batch", Json("{\"items\":[" + string.Join(",", Enumerable.Repeat("{\"title\":\"t\"}", 1001)) + "]}"), Status: 400),
        ["link: no type"] = new(HttpMethod.Post, "api/v1/accounts/{account}/links", Json("""{"id":"{contact}"}"""), Status: 400),
        ["link: no id"] = new(HttpMethod.Post, "api/v1/accounts/{account}/links", Json("""{"type":"contact"}"""), Status: 400),
        ["link: unknown type"] = new(HttpMethod.Post, "api/v1/accounts/{account}/links", Json("""{"type":"widget","id":"w-1"}"""), Status: 400),
        ["link: id not text"] = new(HttpMethod.Post, "api/v1/accounts/{account}/links", Json("""{"type":"contact","id":5}"""), Status: 400),

        // Consent.
        ["consent: unknown status"] = new(HttpMethod.Put, "api/v1/contacts/{contact}/consent/marketing/email", Json("""{"status":"sure","source":"form"}"""), Status: 400),
        ["consent: status as a number"] = new(HttpMethod.Put, "api/v1/contacts/{contact}/consent/marketing/email", Json("""{"status":2,"source":"form"}"""), Status: 400),
        ["consent: unknown field"] = new(HttpMethod.Put, "api/v1/contacts/{contact}/consent/marketing/email", Json("""{"status":"granted","source":"form","mood":"happy"}"""), Status: 400),
        ["consent: no source"] = new(HttpMethod.Put, "api/v1/contacts/{contact}/consent/marketing/email", Json("""{"status":"granted"}"""), Status: 400),
        ["consent: unknown lawful basis"] = new(HttpMethod.Put, "api/v1/contacts/{contact}/consent/marketing/email", Json("""{"status":"granted","source":"form","lawfulBasis":"vibes"}"""), Status: 400),
        ["consent: bad time"] = new(HttpMethod.Put, "api/v1/contacts/{contact}/consent/marketing/email", Json("""{"status":"granted","source":"form","at":"later"}"""), Status: 400),
        ["consent: address not the contact's"] = new(HttpMethod.Put, "api/v1/contacts/{contact}/consent/marketing/email", Json("""{"status":"granted","source":"form","address":"someone.else@example.com"}"""), Status: 400),
        ["consent: check without address"] = new(HttpMethod.Get, "api/v1/contacts/{contact}/consent/check?purpose=sales&channel=email", NoBody, Status: 400),

        // Settings, keys, tenants.
        ["settings: unknown field"] = new(HttpMethod.Patch, "api/v1/settings", Json("""{"colour":"blue"}"""), Status: 400),
        ["settings: time zone number"] = new(HttpMethod.Patch, "api/v1/settings", Json("""{"timeZone":5}"""), Status: 400),
        ["settings: unknown time zone"] = new(HttpMethod.Patch, "api/v1/settings", Json("""{"timeZone":"Mars/Olympus_Mons"}"""), Status: 400),
        ["settings: unknown custom field type"] = new(HttpMethod.Put, "api/v1/settings/custom-fields/contacts/region", Json("""{"type":"blob"}"""), Status: 400),
        ["settings: invalid custom field name"] = new(HttpMethod.Put, "api/v1/settings/custom-fields/contacts/1bad", Json("""{"type":"text"}"""), Status: 400),
        ["settings: custom field on an unknown type"] = new(HttpMethod.Put, "api/v1/settings/custom-fields/widgets/size", Json("""{"type":"text"}"""), Status: 400),
        ["settings: pipeline without stages"] = new(HttpMethod.Put, "api/v1/settings/pipelines/empty", Json("""{"name":"Empty","stages":[]}"""), Status: 400),
        ["keys: unknown role"] = new(HttpMethod.Post, "api/v1/keys", Json("""{"userId":"admin","role":"root"}"""), Status: 400),
        ["keys: numeric role"] = new(HttpMethod.Post, "api/v1/keys", Json("""{"userId":"admin","role":"3"}"""), Status: 400),
        ["keys: unknown user"] = new(HttpMethod.Post, "api/v1/keys", Json("""{"userId":"nobody","role":"admin"}"""), Status: 400),
        ["keys: revoke an unknown key"] = new(HttpMethod.Delete, "api/v1/keys/no-such-key", NoBody, Status: 404),
        ["tenants: invalid id"] = new(HttpMethod.Post, "api/v1/tenants", Json("""{"id":"Bad Tenant!"}"""), Auth.Bootstrap, 400),
        ["tenants: no id"] = new(HttpMethod.Post, "api/v1/tenants", Json("""{"name":"Nameless"}"""), Auth.Bootstrap, 400),
        ["tenants: id not text"] = new(HttpMethod.Post, "api/v1/tenants", Json("""{"id":42}"""), Auth.Bootstrap, 400),
        ["tenants: existing id"] = new(HttpMethod.Post, "api/v1/tenants", Json("""{"id":"default"}"""), Auth.Bootstrap, 409),
    };

    /// <summary>Cases that fail because of a server bug, with the bug in one line (reported to the server's owner).</summary>
    private static readonly Dictionary<string, string> KnownServerBugs = new()
    {
    };

    public static IEnumerable<TheoryDataRow<string>> CaseNames() =>
        Cases.Keys.Select(name => KnownServerBugs.TryGetValue(name, out var bug)
            ? new TheoryDataRow<string>(name) { Skip = "server bug: " + bug }
            : new TheoryDataRow<string>(name));

    [Fact]
    public void There_are_at_least_50_cases() => Assert.True(Cases.Count >= 50, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task A_malformed_request_is_a_4xx_problem_and_writes_nothing(string name)
    {
        var world = await WorldAsync();
        var c = Cases[name];
        var account = (await world.Tenant.Admin.Accounts.AllAsync()).Single().Id;
        var before = await world.Tenant.Admin.FingerprintAsync();
        var tenantsBefore = (await fixture.Server.Bootstrap.Tenants.ListAsync()).Select(t => t.Id).ToHashSet();

        string Resolve(string text) => text.Replace("{contact}", world.ContactId).Replace("{account}", account);
        using var request = new HttpRequestMessage(c.Method, Resolve(c.Path));
        if (c.Body is { } payload)
        {
            request.Content = payload switch
            {
                { Bytes: { } bytes } => new ByteArrayContent(bytes),
                { Chunked: true } => new UnsizedContent(Resolve(payload.Text!)),
                _ => new ByteArrayContent(Encoding.UTF8.GetBytes(Resolve(payload.Text!))),
            };
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(c.ContentType);
        }

        var key = c.Auth switch
        {
            Auth.Admin => "Bearer " + world.Tenant.AdminKey,
            Auth.Bootstrap => "Bearer " + fixture.Server.BootstrapKey,
            Auth.Unknown => "Bearer crm_" + new string('z', 40),
            Auth.Revoked => "Bearer " + world.RevokedKey,
            Auth.BasicScheme => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + world.Tenant.AdminKey)),
            Auth.EmptyBearer => "Bearer ",
            _ => null,
        };
        if (key is not null) request.Headers.TryAddWithoutValidation("Authorization", key);
        if (c.ExpectContinue) request.Headers.ExpectContinue = true;
        foreach (var (header, value) in c.Headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(header, value);

        using var response = await fixture.Server.Http.SendAsync(request, TestData.Cancel);
        var body = await response.Content.ReadAsStringAsync(TestData.Cancel);
        var status = (int)response.StatusCode;
        var shown = $"{status} {response.Content.Headers.ContentType}: {(body.Length > 300 ? body[..300] : body)}";

        Assert.True(status is >= 400 and < 500, $"expected 4xx, got {shown}");
        if (c.Status is { } expected) Assert.True(expected == status, $"expected {expected}, got {shown}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"expected a problem, got {shown}");
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.StartsWith(ProblemTypes.Prefix, problem["type"]!.GetValue<string>());
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["title"]?.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()));

        Assert.Equal(before, await world.Tenant.Admin.FingerprintAsync());
        if (c.Path.StartsWith("api/v1/tenants", StringComparison.Ordinal))
        {
            // Only the tenants other tests made meanwhile, none from this request.
            var added = (await fixture.Server.Bootstrap.Tenants.ListAsync()).Select(t => t.Id).Except(tenantsBefore);
            Assert.All(added, id => Assert.Matches("^t[0-9a-f]{12}$", id));
        }
    }

    private async Task<World> WorldAsync()
    {
        await WorldGate.WaitAsync(TestData.Cancel);
        try
        {
            if (_world is not null && _world.Tenant.Server == fixture.Server) return _world;
            var tenant = await fixture.NewTenantAsync();
            var contact = await tenant.Admin.Contacts.CreateAsync(new JsonObject { ["firstName"] = "Ada", ["email"] = "ada@example.com" });
            await tenant.Admin.Accounts.CreateAsync(new JsonObject { ["name"] = "Acme" });
            var revoked = await tenant.AddUserAsync(ApiRole.Manager);
            await tenant.Admin.Keys.RevokeAsync(revoked.KeyId);
            return _world = new World(tenant, contact.Id, revoked.Key);
        }
        finally
        {
            WorldGate.Release();
        }
    }

    /// <summary>A body sent without Content-Length (chunked).</summary>
    private sealed class UnsizedContent(string text) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
