using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>The Polly v8 retry pipeline, bridged to the policy type <c>Microsoft.Extensions.Http.Polly</c> takes. One per container.</summary>
internal sealed class PresenceHttpPolicy
{
    public PresenceHttpPolicy(IOptions<PresenceKeepAliveOptions> options, TimeProvider timeProvider, ILogger<PresenceHttpPolicy> logger)
    {
        Pipeline = PresenceResiliencePipeline.Create(options.Value, timeProvider, logger);
        Policy = Pipeline.AsAsyncPolicy();
    }

    public ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

    public IAsyncPolicy<HttpResponseMessage> Policy { get; }
}
