using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using PresenceKeepAlive.DependencyInjection.Internal;
using PresenceKeepAlive.Http.Internal;

namespace PresenceKeepAlive.Tests.Registrations;

/// <summary>A pool's apps are distinct identities: an app without its own credential never borrows another app's.</summary>
public class PoolIdentityValidationTests
{
    private const string AppA = NamedRegistrationTests.AppA;
    private const string AppB = NamedRegistrationTests.AppB;

    private static PresenceKeepAliveOptions Pool(string baseUrl = PresenceKeepAliveOptions.GraphV1BaseUrl)
    {
        var options = new PresenceKeepAliveOptions { TenantId = NamedRegistrationTests.Contoso, ClientId = AppA, BaseUrl = baseUrl };
        options.Apps.Add(new PresenceAppRegistration { ClientId = AppA });
        options.Apps.Add(new PresenceAppRegistration { ClientId = AppB });
        return options;
    }

    private static string Expected(string shared) =>
        $"Registration 'contoso': Apps[1] ('{AppB}') has no credential of its own, and the registration's {shared} is the identity of ClientId '{AppA}', not of this app: " +
        "apps sharing one identity are one Graph app with one rate budget, and a pool would send several times what it allows. " +
        "Set Apps[1].ClientSecret, CertificatePath, CertificateThumbprint or Credential (each app registration has its own); only the app whose ClientId is the " +
        "registration's ClientId uses the registration's credential, and against a loopback BaseUrl (the emulator) each app gets a development token of its own";

    [Test]
    public void Validate_PoolAppWithoutCredentialUnderASharedCredential_IsRefusedNamingTheApp()
    {
        var options = Pool();
        options.Credential = new FixedTokenCredential("t");

        var result = new PresenceKeepAliveOptionsValidator().Validate("contoso", options);

        Assert.That(result.Failures, Is.EqualTo(new[] { Expected("Credential (set in code)") }));
    }

    [Test]
    public void Validate_PoolAppWithoutCredentialUnderAManagedIdentity_IsRefused()
    {
        var options = Pool();
        options.UseManagedIdentity = true;

        var result = new PresenceKeepAliveOptionsValidator().Validate("contoso", options);

        Assert.That(result.Failures, Is.EqualTo(new[] { Expected("managed identity") }));
    }

    [Test]
    public void Validate_PoolAppWithoutCredentialUnderARegisteredCredential_IsRefused()
    {
        using var services = new ServiceCollection().AddSingleton<TokenCredential>(new FixedTokenCredential("t")).BuildServiceProvider();

        var result = new PresenceKeepAliveOptionsValidator(services).Validate("contoso", Pool());

        Assert.That(result.Failures, Is.EqualTo(new[] { Expected("TokenCredential registered in the service collection") }));
    }

    [Test]
    public void Validate_RegisteredCredentialOnLoopbackWithUseConfiguredCredential_IsRefused()
    {
        using var services = new ServiceCollection().AddSingleton<TokenCredential>(new FixedTokenCredential("t")).BuildServiceProvider();
        var options = Pool(NamedRegistrationTests.Emulator);
        options.UseConfiguredCredentialOnLoopback = true;

        var result = new PresenceKeepAliveOptionsValidator(services).Validate("contoso", options);

        Assert.That(result.Failures!.ToList(), Has.Count.EqualTo(1).And.Some.Contains($"Apps[1] ('{AppB}') has no credential of its own"));
    }

    [Test]
    public void Validate_EachAppWithItsOwnCredentialOrTheDevelopmentTokenOnLoopback_IsAccepted()
    {
        using var services = new ServiceCollection().AddSingleton<TokenCredential>(new FixedTokenCredential("t")).BuildServiceProvider();
        var own = Pool();
        own.UseManagedIdentity = true;
        own.Apps[1].Credential = new FixedTokenCredential("t");

        // The emulator: each app gets a development token with its own app id, whatever DI holds.
        var emulator = Pool(NamedRegistrationTests.Emulator);

        Assert.That(new PresenceKeepAliveOptionsValidator(services).Validate("contoso", own).Failures, Is.Null.Or.Empty);
        Assert.That(new PresenceKeepAliveOptionsValidator(services).Validate("contoso", emulator).Failures, Is.Null.Or.Empty);
    }

    [Test]
    public void CreateFor_PoolAppWithoutCredentialOfItsOwn_NeverGetsTheSharedCredentialOrManagedIdentity()
    {
        var options = Pool();
        options.Credential = new FixedTokenCredential("t");
        options.UseManagedIdentity = true;

        var settings = CredentialSettings.From(options, options.Apps[1]);

        Assert.That(settings.Credential, Is.Null);
        Assert.That(settings.UseManagedIdentity, Is.False);
        Assert.That(CredentialSettings.From(options, options.Apps[0]).Credential, Is.SameAs(options.Credential), "the registration's own app keeps it");
    }
}
