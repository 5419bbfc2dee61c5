using Crm.Cli;
using Spectre.Console;

// System.CommandLine cancels the command's token on Ctrl+C.
return await new CliApp(AnsiConsole.Console).RunAsync(args);
