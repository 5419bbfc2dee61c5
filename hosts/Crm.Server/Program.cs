using Crm.Server;

var builder = WebApplication.CreateBuilder(args);
builder.AddCrmServer();
var app = builder.Build();
app.MapCrmServer();
await app.RunAsync();

/// <summary>The server's entry point (public so tests can start it).</summary>
public partial class Program;
