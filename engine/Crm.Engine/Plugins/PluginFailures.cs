using System.Reflection;

namespace Crm.Engine.Plugins;

/// <summary>Turns what a plugin threw while loading into a reason code and a sentence for the catalog.</summary>
internal static class PluginFailures
{
    /// <summary>The exception that says what happened, under reflection's and type initialisers' wrappers.</summary>
    public static Exception Unwrap(Exception ex)
    {
        while (ex is TargetInvocationException or TypeInitializationException && ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    /// <summary>True when the exception says an assembly or a type could not be loaded.</summary>
    public static bool IsLoadFailure(Exception ex) =>
        Unwrap(ex) is FileNotFoundException or FileLoadException or BadImageFormatException or TypeLoadException
            or ReflectionTypeLoadException or MissingMemberException;

    /// <summary>The reason code and message for a failure while <paramref name="doing"/> (e.g. "ConfigureServices").</summary>
    public static (string Reason, string Error) Classify(Exception ex, string reason, string doing)
    {
        var inner = Unwrap(ex);
        return IsLoadFailure(inner)
            ? (PluginStatus.MissingDependencyReason, $"{doing}: an assembly it needs could not be loaded: {Describe(inner)}")
            : (reason, $"{doing} threw {Describe(inner)}");
    }

    /// <summary><c>Type: message</c>, with the loader exceptions of a <see cref="ReflectionTypeLoadException"/>.</summary>
    public static string Describe(Exception ex)
    {
        ex = Unwrap(ex);
        if (ex is ReflectionTypeLoadException r)
        {
            var causes = r.LoaderExceptions.OfType<Exception>().Select(e => e.Message.Trim()).Distinct().Take(3);
            return $"{ex.GetType().Name}: {string.Join(" ", causes)}";
        }

        return $"{ex.GetType().Name}: {ex.Message.Trim()}";
    }
}
