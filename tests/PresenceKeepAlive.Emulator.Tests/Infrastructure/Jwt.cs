using System.Text;

namespace PresenceKeepAlive.Emulator.Tests.Infrastructure;

/// <summary>Builds unsigned JWT-shaped tokens; the emulator reads claims but never checks signatures.</summary>
internal static class Jwt
{
    public static string WithClaims(string payloadJson) =>
        Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + Encode(payloadJson) + ".sig";

    // base64url without padding, by hand: System.Buffers.Text.Base64Url is .NET 9+ and the tests also run on net8.0.
    private static string Encode(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
