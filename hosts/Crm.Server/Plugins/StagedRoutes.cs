using Microsoft.AspNetCore.Routing.Patterns;

namespace Crm.Server.Plugins;

/// <summary>
/// The route builder a plugin maps its endpoints on. What it maps is held back until <see cref="Commit"/>, so a
/// plugin whose <c>MapEndpoints</c> throws half-way leaves none of its routes behind; <see cref="Describe"/> builds the
/// endpoints once (request delegates included), so a handler the host cannot bind fails here rather than on the
/// first request to any route of the server.
/// </summary>
internal sealed class StagedRoutes(RouteGroupBuilder group, string prefix) : IEndpointRouteBuilder
{
    private readonly List<EndpointDataSource> _staged = [];

    public IServiceProvider ServiceProvider => ((IEndpointRouteBuilder)group).ServiceProvider;

    public ICollection<EndpointDataSource> DataSources => _staged;

    public IApplicationBuilder CreateApplicationBuilder() => ((IEndpointRouteBuilder)group).CreateApplicationBuilder();

    /// <summary>The staged routes as <c>METHOD /prefix/route</c>.</summary>
    public IEnumerable<string> Describe() =>
        _staged.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().SelectMany(e =>
        {
            var path = prefix + "/" + (e.RoutePattern.RawText ?? RoutePatternFactory.Pattern(e.RoutePattern.PathSegments).RawText ?? "").TrimStart('/');
            path = path.Length > 1 ? path.TrimEnd('/') : path;
            return (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(m => $"{m} {path}");
        }).ToList();

    /// <summary>Hands the staged routes to the real group: from now on they are served.</summary>
    public void Commit()
    {
        foreach (var source in _staged) ((IEndpointRouteBuilder)group).DataSources.Add(source);
    }
}
