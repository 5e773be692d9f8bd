using System.Diagnostics;
using System.Text.RegularExpressions;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Documentation;

/// <summary>
/// The documentation quotes benchmark runs by the name of their file under bench/results/. Twice a run was quoted
/// whose file never reached the repository (git ignored the folder but for files added by force), so its figures
/// could not be checked by anyone. These specs run in CI's clean checkout, where only committed files exist.
/// </summary>
public sealed partial class BenchmarkResultsSpecs
{
    [Fact]
    public void Every_results_file_the_documentation_quotes_is_in_the_repository()
    {
        var documents = Directory.EnumerateFiles(SourceTree.Path("docs"), "*.md").Prepend(SourceTree.Path("README.md"));
        var quoted = documents
            .SelectMany(document => ResultsFileName().Matches(File.ReadAllText(document)).Select(m => (Document: Path.GetFileName(document), File: m.Value)))
            .ToList();

        Assert.NotEmpty(quoted); // the README's benchmark section quotes at least its own run
        var missing = quoted.Where(q => !File.Exists(SourceTree.Path("bench", "results", q.File))).ToList();
        Assert.True(missing.Count == 0, "quoted but not in bench/results/: " + string.Join(", ", missing.Select(m => $"{m.File} ({m.Document})")));
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task A_new_results_file_is_not_ignored_by_git()
    {
        // git check-ignore: exit code 0 when the path is ignored, 1 when it is not.
        var start = new ProcessStartInfo("git") { WorkingDirectory = SourceTree.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "check-ignore", "--no-index", "-q", "bench/results/a-new-run.jsonl" })
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start)!;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await git.WaitForExitAsync(bound.Token);
        }
        finally
        {
            if (!git.HasExited)
            {
                git.Kill();
            }
        }

        Assert.True(git.ExitCode == 1, $"git check-ignore answered {git.ExitCode} for a new file in bench/results/ (0: ignored). {await git.StandardError.ReadToEndAsync()}");
    }

    [GeneratedRegex(@"[A-Za-z0-9_-]+\.jsonl")]
    private static partial Regex ResultsFileName();
}
