using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace PresenceKeepAlive.Http.Internal;

/// <summary>The Polly v8 retry pipeline, bridged to the policy type <c>Microsoft.Extensions.Http.Polly</c> takes. One per container.</summary>
internal sealed class PresenceHttpPolicy
{
    /// <summary>Builds the pipeline from the options, on <paramref name="timeProvider"/>.</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock every delay and timeout runs on.</param>
    /// <param name="logger">Logs retries.</param>
    public PresenceHttpPolicy(IOptions<PresenceKeepAliveOptions> options, TimeProvider timeProvider, ILogger<PresenceHttpPolicy> logger)
    {
        Pipeline = PresenceResiliencePipeline.Create(options.Value, timeProvider, logger);
        Policy = Pipeline.AsAsyncPolicy();
    }

    /// <summary>Gets the Polly v8 pipeline.</summary>
    public ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

    /// <summary>Gets the pipeline as the policy <c>AddPolicyHandler</c> takes.</summary>
    public IAsyncPolicy<HttpResponseMessage> Policy { get; }
}
