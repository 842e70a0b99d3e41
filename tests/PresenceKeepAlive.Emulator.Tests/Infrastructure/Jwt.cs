using System.Buffers.Text;
using System.Text;

namespace PresenceKeepAlive.Emulator.Tests.Infrastructure;

/// <summary>Builds unsigned JWT-shaped tokens; the emulator reads claims but never checks signatures.</summary>
internal static class Jwt
{
    public static string WithClaims(string payloadJson) =>
        Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + Encode(payloadJson) + ".sig";

    private static string Encode(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
}
