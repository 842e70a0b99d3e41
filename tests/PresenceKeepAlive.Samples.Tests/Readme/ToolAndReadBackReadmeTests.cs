using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PresenceKeepAlive.Cli;
using PresenceKeepAlive.Emulator;

namespace PresenceKeepAlive.Samples.Tests.Readme;

/// <summary>
/// The README's sections on the <c>presence</c> tool and on read-back, as written: every <c>presence</c> line of the
/// tool's shell blocks run (in process) against an emulator in place of the one on port 5080, and the read-back JSON bound.
/// </summary>
public sealed partial class ToolAndReadBackReadmeTests
{
    private const string ReadmeEmulator = "http://127.0.0.1:5080/v1.0";
    private static readonly TimeSpan RealTimeCap = TimeSpan.FromSeconds(20);

    [Test]
    public async Task ToolSection_EveryPresenceLine_RunsAsWrittenAgainstTheEmulator()
    {
        var lines = ToolLines();
        Assert.That(lines.Count(l => l.Contains("--keep-alive", StringComparison.Ordinal)), Is.EqualTo(1), "the keep-alive example");
        Assert.That(lines, Has.Count.GreaterThanOrEqualTo(8));
        await using var emulator = await PresenceEmulator.StartAsync();
        var outputs = new List<string>();

        foreach (var line in lines)
        {
            var args = ShellWords(line).Skip(1).Select(a => a == ReadmeEmulator ? emulator.GraphV1Url.ToString() : a).ToArray();
            Assert.That(args, Does.Contain(emulator.GraphV1Url.ToString()), $"'{line}' points at the README's emulator");
            using var stop = new CancellationTokenSource();
            var output = new WatchedWriter("Busy/InACall Active");
            var error = new StringWriter();
            var run = PresenceCommandLine.RunAsync(args, output, error, _ => null, stop.Token);
            if (args.Contains("--keep-alive"))
            {
                // Ctrl+C once the tool's status line says the set was accepted (and the emulator shows it).
                await output.Seen.WaitAsync(RealTimeCap);
                Assert.That(Shows(emulator, "0a1b2c3d-0000-4000-8000-00000000ad01", "Busy/InACall"), Is.True, line);
                await stop.CancelAsync();
            }

            var exitCode = await run.WaitAsync(RealTimeCap);
            Assert.That(exitCode, Is.Zero, $"{line}{Environment.NewLine}{error}");
            outputs.Add(output.ToString());
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outputs[0], Does.Contain("0a1b2c3d-0000-4000-8000-00000000ad01: signed off"), "the keep-alive line signs off on Ctrl+C");
            Assert.That(string.Concat(outputs), Does.Contain("0a1b2c3d-0000-4000-8000-00000000ad01 DoNotDisturb/DoNotDisturb"), "what the README says status prints");
            Assert.That(emulator.GetSessions("0a1b2c3d-0000-4000-8000-00000000ad01"), Is.Empty, "the last line signed Adele off");
        }
    }

    [Test]
    public void ReadBackSection_Json_BindsAndPassesValidation()
    {
        var readme = Readme();
        var section = readme[readme.IndexOf("## Read-back: what others see", StringComparison.Ordinal)..];
        var json = JsonBlock().Match(section).Groups["json"].Value;
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["PresenceKeepAlive:ClientId"] = "5f0e8a4c-2b1d-4e6f-9a7b-3c2d1e0f9a8b",
                ["PresenceKeepAlive:BaseUrl"] = ReadmeEmulator,
            })
            .Build();
        var services = new ServiceCollection();
        services.AddPresenceSession(configuration.GetSection("PresenceKeepAlive"));
        using var provider = services.BuildServiceProvider();

        var readBack = provider.GetRequiredService<IOptions<PresenceKeepAliveOptions>>().Value.ReadBack;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(readBack.Enabled, Is.True);
            Assert.That(readBack.Interval, Is.EqualTo(TimeSpan.FromMinutes(1)));
            Assert.That(readBack.GracePeriod, Is.EqualTo(TimeSpan.FromMinutes(2)));
        }
    }

    private static string Readme() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));

    private static List<string> ToolLines()
    {
        var readme = Readme();
        var start = readme.IndexOf("## The `presence` tool", StringComparison.Ordinal);
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = readme[start..end];
        return BashBlock().Matches(section)
            .SelectMany(m => m.Groups["code"].Value.Split('\n'))
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("presence ", StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>Splits a shell line into words: double quotes group, a <c>#</c> outside quotes starts a comment.</summary>
    private static List<string> ShellWords(string line)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (!quoted && c == '#')
            {
                break;
            }
            else if (!quoted && char.IsWhiteSpace(c))
            {
                if (any)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    any = false;
                }
            }
            else
            {
                current.Append(c);
                any = true;
            }
        }

        if (any)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    private static bool Shows(PresenceEmulator emulator, string userId, string pair) =>
        emulator.GetPresence(userId) is { } p && p.Availability + "/" + p.Activity == pair;

    /// <summary>Output that says when a text has been written (no polling).</summary>
    private sealed class WatchedWriter(string awaited) : StringWriter
    {
        private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Seen => _seen.Task;

        public override void Write(char value)
        {
            lock (_seen)
            {
                base.Write(value);
            }

            Check();
        }

        public override void Write(string? value)
        {
            lock (_seen)
            {
                base.Write(value);
            }

            Check();
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_seen)
            {
                base.Write(buffer, index, count);
            }

            Check();
        }

        public override string ToString()
        {
            lock (_seen)
            {
                return base.ToString();
            }
        }

        private void Check()
        {
            if (ToString().Contains(awaited, StringComparison.Ordinal))
            {
                _seen.TrySetResult();
            }
        }
    }

    [GeneratedRegex("^```bash\\r?\\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex("^```json\\r?\\n(?<json>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
