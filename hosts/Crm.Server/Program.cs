using Crm.Server;

// Configuration files are read at start; watching the content root would also watch ./data, written on every commit.
var builder = WebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);
builder.AddCrmServer();
var app = builder.Build();
app.MapCrmServer();
await app.RunAsync();

/// <summary>The server's entry point (public so tests can start it).</summary>
public partial class Program;
