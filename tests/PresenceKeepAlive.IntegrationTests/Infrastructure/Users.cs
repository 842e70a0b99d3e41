namespace PresenceKeepAlive.IntegrationTests.Infrastructure;

/// <summary>User object ids (GUIDs, so that they appear verbatim in request paths).</summary>
internal static class Users
{
    public const string Adele = "0a1b2c3d-0000-4000-8000-00000000ad01";
    public const string Alex = "0a1b2c3d-0000-4000-8000-00000000a1e7";
    public const string Megan = "0a1b2c3d-0000-4000-8000-0000000000e9";
    public const string Lynne = "0a1b2c3d-0000-4000-8000-000000001e11";

    /// <summary>Gets the <paramref name="index"/>th of many generated users.</summary>
    public static string Numbered(int index) => $"0a1b2c3d-0000-4000-9000-{index:x12}";
}
