using System.Text.Json.Nodes;
using Crm.Engine.Messaging;

namespace Crm.Engine.Tests;

/// <summary>Liquid templates see the contact's fields and the request's data as they are in JSON.</summary>
public sealed class MessageTemplateTests
{
    [Fact]
    public void Templates_read_text_numbers_booleans_lists_and_nested_objects()
    {
        var contact = JsonNode.Parse("""{"firstName":"Ada","tags":["vip","beta"],"address":{"city":"London"},"score":41.5,"vip":true,"title":null}""")!.AsObject();
        var data = JsonNode.Parse("""{"offer":"20% off","count":2}""")!.AsObject();

        var text = MessageTemplates.Render(
            "{{ contact.firstName }} in {{ contact.address.city }}: {% for t in contact.tags %}{{ t }};{% endfor %} {{ contact.score | plus: 1 }} {% if contact.vip %}VIP{% endif %}{% if contact.title %}x{% endif %} {{ data.offer }} x{{ data.count | times: 3 }} [{{ contact.missing }}]",
            "body", contact, data, 1000);

        Assert.Equal("Ada in London: vip;beta; 42.5 VIP 20% off x6 []", text);
    }

    [Fact]
    public void A_template_that_does_not_parse_is_a_validation_error_naming_the_field() =>
        Assert.Equal("subject", Assert.Throws<ValidationException>(() => MessageTemplates.Render("Hi {{ contact.firstName", "subject", [], [], 100)).Errors.Single().Field);
}
