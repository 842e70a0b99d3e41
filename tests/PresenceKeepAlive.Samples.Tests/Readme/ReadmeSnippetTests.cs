using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PresenceKeepAlive.Samples.Tests.Readme;

/// <summary>
/// Compiles every <c>```csharp</c> block of README.md against the library, as a user pasting it would: a block with
/// top-level statements as a program of its own, any other as a library; with the implicit usings of the SDK a user's
/// project has (Microsoft.NET.Sdk, or Microsoft.NET.Sdk.Web for a block that builds a WebApplication) and nothing else.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    private static readonly string[] SdkUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static readonly string[] WebSdkUsings =
    [
        .. SdkUsings, "System.Net.Http.Json", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Http",
        "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection",
        "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    public static IEnumerable<TestCaseData> Snippets()
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var blocks = CSharpBlock().Matches(readme);
        for (var i = 0; i < blocks.Count; i++)
        {
            var code = blocks[i].Groups["code"].Value;
            var firstLine = code.Split('\n').FirstOrDefault(l => !l.StartsWith("using ", StringComparison.Ordinal) && l.Trim().Length > 0)?.Trim();
            yield return new TestCaseData(code).SetName($"README_CSharpBlock{i + 1}_Compiles({firstLine})");
        }
    }

    [Test]
    public void Readme_HasTheSnippetsItPromises()
    {
        // Guards the extraction itself: the quick start, CallEvents and the health check, at least.
        Assert.That(Snippets().Count(), Is.GreaterThanOrEqualTo(3));
    }

    [TestCaseSource(nameof(Snippets))]
    public void Snippet_Compiles(string code)
    {
        var web = code.Contains("WebApplication.", StringComparison.Ordinal);
        var usings = string.Concat((web ? WebSdkUsings : SdkUsings).Select(u => $"global using global::{u};\n"));
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var snippet = CSharpSyntaxTree.ParseText(code, options, path: "README.md");
        var hasTopLevelStatements = snippet.GetCompilationUnitRoot().Members.OfType<Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax>().Any();
        var compilation = CSharpCompilation.Create(
            "ReadmeSnippet",
            [CSharpSyntaxTree.ParseText(usings, options, path: "ImplicitUsings.cs"), snippet],
            References.Value,
            new CSharpCompilationOptions(
                hasTopLevelStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

        Assert.That(errors, Is.Empty, string.Join(Environment.NewLine, errors) + Environment.NewLine + code);
    }

    [GeneratedRegex("^```csharp\\r?\\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
