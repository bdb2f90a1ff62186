using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>History, commits with their diffs, and comparisons on the web, after real pushes.</summary>
public sealed partial class CommitHistoryWebTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "commit history passphrase";
    private LatchkeyServer Server => fixture.Server;

    private Task<HistoryProject> NewProjectAsync(bool isPrivate = false) =>
        HistoryProject.CreateAsync(Server, fixture.NewUsername("historian"), Password, isPrivate);

    private static List<string> Subjects(string page) => SubjectLink().Matches(page).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    private static async Task<string> PageAsync(WebSession web, string path)
    {
        var (status, body) = await web.GetAsync(path);
        Assert.True(status == HttpStatusCode.OK, $"GET {path} answered {status}:\n{body}");
        return body;
    }

    /// <summary>The rows of one file's diff table: kind, old number, new number, text.</summary>
    private static List<(string Kind, string Old, string New, string Text)> Lines(string page, string file)
    {
        var start = page.IndexOf($"data-diff-file=\"{WebUtility.HtmlEncode(file)}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"No diff of {file} on the page:\n{page}");
        var end = page.IndexOf("data-diff-file=", start + 1, StringComparison.Ordinal);
        var box = end < 0 ? page[start..] : page[start..end];
        return DiffRow().Matches(box)
            .Select(m => (WebUtility.HtmlDecode(m.Groups[1].Value), m.Groups[2].Value, m.Groups[3].Value, WebUtility.HtmlDecode(m.Groups[4].Value)))
            .ToList();
    }

    private static void AssertRow((string Kind, string Old, string New, string Text) row, List<(string Kind, string Old, string New, string Text)> lines) =>
        Assert.True(lines.Contains(row), $"No row {row} among:\n" + string.Join('\n', lines));

    [Fact]
    public async Task Three_pushed_commits_are_listed_newest_first_under_their_day_with_links()
    {
        using var project = await NewProjectAsync();
        await project.CommitAsync("a.txt", "one\n", "First change");
        await project.CommitAsync("a.txt", "two\n", "Second change");
        var third = await project.CommitAsync("b.txt", "three\n", "Third change");
        await project.PushAsync();

        foreach (var path in new[] { $"{project.Path}/commits", $"{project.Path}/commits/main" })
        {
            var page = await PageAsync(project.Web, path);
            Assert.Equal(["Third change", "Second change", "First change", "Add hello.txt"], Subjects(page));
            Assert.Contains($"Commits on {DateTime.UtcNow:MMM d, yyyy}", page, StringComparison.Ordinal);
            Assert.Contains($"href=\"{project.Path}/commit/{third}\"", page, StringComparison.Ordinal);
            Assert.Contains($"href=\"{project.Path}/tree/{third}\"", page, StringComparison.Ordinal);
            Assert.Contains(third[..7], page, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_commit_page_shows_its_files_counts_and_diff_lines_with_their_numbers()
    {
        using var project = await NewProjectAsync();
        await project.CommitAsync("numbers.txt", string.Concat(Enumerable.Range(1, 10).Select(n => $"line {n}\n")), "Add numbers");
        await File.WriteAllTextAsync(Path.Combine(project.Local, "numbers.txt"),
            string.Concat(Enumerable.Range(1, 10).Select(n => n == 5 ? "line five\n" : $"line {n}\n")) + "line 11\n");
        await project.GitAsync("mv", "hello.txt", "greeting.txt");
        await File.WriteAllBytesAsync(Path.Combine(project.Local, "logo.bin"), [0, 1, 2, 0, 0x89, (byte)'S', (byte)'E', (byte)'C', (byte)'R', (byte)'E', (byte)'T']);
        await project.GitAsync("add", "--all");
        await project.GitAsync("commit", "-m", "Change numbers, rename hello\n\nThe body explains why.");
        var sha = await project.HeadAsync();
        await project.PushAsync();

        var page = await PageAsync(project.Web, $"{project.Path}/commit/{sha}");
        Assert.Contains("Change numbers, rename hello</h2>", page, StringComparison.Ordinal);
        Assert.Contains("The body explains why.", page, StringComparison.Ordinal);
        Assert.Contains("Showing <strong>3 changed files</strong> with <strong>2 additions</strong> and <strong>1 deletion</strong>.", page, StringComparison.Ordinal);
        Assert.Contains("1 parent", page, StringComparison.Ordinal);

        var lines = Lines(page, "numbers.txt");
        AssertRow(("-", "5", "", "-line 5"), lines);
        AssertRow(("+", "", "5", "+line five"), lines);
        AssertRow(("+", "", "11", "+line 11"), lines);
        AssertRow((" ", "4", "4", " line 4"), lines);
        AssertRow((" ", "10", "10", " line 10"), lines);
        Assert.Matches(@"data-diff-file=""numbers.txt"" data-status=""modified"">\s*<div[^>]*>\s*<span class=""f6 mr-2"" data-counts><span class=""color-fg-success"">\+2</span> <span class=""color-fg-danger"">−1</span>", page);

        Assert.Contains("data-diff-file=\"greeting.txt\" data-status=\"renamed\"", page, StringComparison.Ordinal);
        Assert.Contains("<span data-previous-path>hello.txt</span>", page, StringComparison.Ordinal);
        Assert.Contains("File renamed without changes.", page, StringComparison.Ordinal);

        Assert.Contains("data-diff-file=\"logo.bin\" data-status=\"added\"", page, StringComparison.Ordinal);
        Assert.Contains("Binary file not shown.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", page, StringComparison.Ordinal);

        // A root commit is shown against the empty tree; a branch name resolves like a sha.
        var root = await PageAsync(project.Web, $"{project.Path}/commit/{(await project.GitAsync("rev-list", "--max-parents=0", "HEAD"))[..10]}");
        Assert.Contains("data-diff-file=\"hello.txt\" data-status=\"added\"", root, StringComparison.Ordinal);
        Assert.Contains("0 parents", root, StringComparison.Ordinal);
        Assert.Contains($"data-commit=\"{sha}\"", await PageAsync(project.Web, $"{project.Path}/commit/main"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_pages_by_35_with_newer_and_older_links()
    {
        using var project = await NewProjectAsync();
        for (var n = 1; n <= 40; n++)
            await project.GitAsync("commit", "--allow-empty", "-m", $"Step {n}");
        await project.PushAsync();

        var first = await PageAsync(project.Web, $"{project.Path}/commits/main");
        var subjects = Subjects(first);
        Assert.Equal(35, subjects.Count);
        Assert.Equal("Step 40", subjects[0]);
        Assert.Equal("Step 6", subjects[^1]);
        Assert.Contains($"href=\"{project.Path}/commits/main?page=2\">Older</a>", first, StringComparison.Ordinal);

        var second = await PageAsync(project.Web, $"{project.Path}/commits/main?page=2");
        Assert.Equal(["Step 5", "Step 4", "Step 3", "Step 2", "Step 1", "Add hello.txt"], Subjects(second));
        Assert.Contains($"href=\"{project.Path}/commits/main?page=1\">Newer</a>", second, StringComparison.Ordinal);
        Assert.DoesNotContain(">Older</a>", second, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await project.Web.GetAsync($"{project.Path}/commits/main?page=zero")).Status);
    }

    [Fact]
    public async Task A_path_history_lists_only_the_commits_that_touch_it_also_on_a_branch_with_a_slash()
    {
        using var project = await NewProjectAsync();
        await project.CommitAsync("docs/guide.md", "# Guide\n", "Write the guide");
        await project.CommitAsync("other.txt", "x\n", "Unrelated change");
        await project.CommitAsync("docs/guide.md", "# Guide\n\nMore.\n", "Extend the guide");
        await project.GitAsync("checkout", "-q", "-b", "feature/x");
        await project.CommitAsync("docs/guide.md", "# Guide\n\nMore, on a branch.\n", "Guide on the branch");
        await project.PushAsync("main");
        await project.PushAsync("feature/x");

        Assert.Equal(["Extend the guide", "Write the guide"], Subjects(await PageAsync(project.Web, $"{project.Path}/commits/main/docs/guide.md")));
        var branch = await PageAsync(project.Web, $"{project.Path}/commits/feature/x/docs/guide.md");
        Assert.Equal(["Guide on the branch", "Extend the guide", "Write the guide"], Subjects(branch));
        Assert.Contains("<span data-history-path>docs/guide.md</span>", branch, StringComparison.Ordinal);
        Assert.Equal(["Guide on the branch", "Extend the guide", "Unrelated change", "Write the guide", "Add hello.txt"],
            Subjects(await PageAsync(project.Web, $"{project.Path}/commits/feature/x")));
        Assert.Equal(["Extend the guide", "Write the guide"], Subjects(await PageAsync(project.Web, $"{project.Path}/commits/main/docs")));
    }

    [Fact]
    public async Task Comparing_two_branches_lists_the_commits_and_files_of_the_head_only()
    {
        using var project = await NewProjectAsync();
        await project.PushAsync();
        await project.GitAsync("checkout", "-q", "-b", "topic");
        await project.CommitAsync("topic.txt", "topic\n", "Start the topic");
        await project.CommitAsync("hello.txt", "hello, topic\n", "Greet the topic");
        await project.PushAsync("topic");
        await project.GitAsync("checkout", "-q", "main");
        await project.CommitAsync("main-only.txt", "main\n", "Only on main");
        await project.PushAsync();

        var page = await PageAsync(project.Web, $"{project.Path}/compare/main...topic");
        Assert.Equal(["Start the topic", "Greet the topic"], Subjects(page));
        Assert.Contains(">2 commits</h3>", page, StringComparison.Ordinal);
        Assert.Contains("data-diff-file=\"topic.txt\" data-status=\"added\"", page, StringComparison.Ordinal);
        Assert.Contains("data-diff-file=\"hello.txt\" data-status=\"modified\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("main-only.txt", page, StringComparison.Ordinal);

        Assert.Contains("There isn't anything to compare.", await PageAsync(project.Web, $"{project.Path}/compare/topic...topic"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await project.Web.GetAsync($"{project.Path}/compare/main...no-such-branch")).Status);

        // The form picks base and head and lands on the comparison.
        Assert.Contains("data-compare-form", await PageAsync(project.Web, $"{project.Path}/compare"), StringComparison.Ordinal);
        using var picked = await project.Web.Http.GetAsync($"{project.Path.TrimStart('/')}/compare?base=main&head=topic");
        Assert.Equal(HttpStatusCode.Redirect, picked.StatusCode);
        Assert.Equal($"{project.Path}/compare/main...topic", picked.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_private_repository_history_is_absent_to_a_stranger_and_to_anonymous()
    {
        using var project = await NewProjectAsync(isPrivate: true);
        var sha = await project.HeadAsync();
        await project.PushAsync();
        using var stranger = Server.NewBrowserSession();
        await stranger.SignUpAsync(fixture.NewUsername("stranger"), Password);
        using var anonymous = Server.NewBrowserSession();
        foreach (var path in new[] { "commits", "commits/main", "commits/main/hello.txt", $"commit/{sha}", "compare", "compare/main...main" })
        {
            Assert.Equal(HttpStatusCode.OK, (await project.Web.GetAsync($"{project.Path}/{path}")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"{project.Path}/{path}")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"{project.Path}/{path}")).Status);
        }
    }

    [Fact]
    public async Task File_names_and_messages_with_html_are_shown_escaped()
    {
        using var project = await NewProjectAsync();
        const string Name = "<img src=x onerror=alert(1)>";
        var before = await project.HeadAsync();
        var sha = await project.CommitAsync(Name, "<script>alert(2)</script>\n", "<img src=y onerror=alert(3)> <b>bold</b>\n\n<script>alert(4)</script>");
        await project.PushAsync();

        foreach (var path in new[] { $"{project.Path}/commits", $"{project.Path}/commit/{sha}", $"{project.Path}/compare/{before}...{sha}" })
        {
            var page = await PageAsync(project.Web, path);
            Assert.DoesNotContain("<img src=", page, StringComparison.Ordinal);
            Assert.DoesNotContain("<script>alert", page, StringComparison.Ordinal);
            Assert.DoesNotContain("<b>bold", page, StringComparison.Ordinal);
            Assert.Contains("&lt;img src=y onerror=alert(3)&gt;", page, StringComparison.Ordinal);
        }
        var commit = await PageAsync(project.Web, $"{project.Path}/commit/{sha}");
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", commit, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(2)&lt;/script&gt;", commit, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(4)&lt;/script&gt;", commit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_50_MB_file_answers_quickly_with_the_too_large_notice()
    {
        using var project = await NewProjectAsync();
        var big = Path.Combine(project.Local, "big.txt");
        await using (var writer = new StreamWriter(big))
        {
            for (var n = 0; n < 2_500_000; n++)
                await writer.WriteAsync($"line {n:D12} of a big file\n");
        }
        Assert.True(new FileInfo(big).Length > 50_000_000);
        var sha = await project.CommitAsync("small.txt", "small\n", "Add a big file");
        await project.PushAsync();

        var clock = Stopwatch.StartNew();
        var page = await PageAsync(project.Web, $"{project.Path}/commit/{sha}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"The commit page took {clock.Elapsed}");
        Assert.Contains("data-diff-file=\"big.txt\" data-status=\"added\"", page, StringComparison.Ordinal);
        Assert.Contains("This diff is too large to display.", page, StringComparison.Ordinal);
        Assert.Contains("Showing <strong>2 changed files</strong> with <strong>2500001 additions</strong>", page, StringComparison.Ordinal);
        AssertRow(("+", "", "1", "+small"), Lines(page, "small.txt"));
        Assert.True(page.Length < 100_000, $"The page is {page.Length} characters long");
    }

    [Fact]
    public async Task A_large_file_diff_is_collapsed_until_load_diff_asks_for_it()
    {
        using var project = await NewProjectAsync();
        var sha = await project.CommitAsync("long.txt", string.Concat(Enumerable.Range(1, 500).Select(n => $"row {n}\n")), "Add a long file");
        await project.PushAsync();

        var page = await PageAsync(project.Web, $"{project.Path}/commit/{sha}");
        Assert.Contains("Large diffs are not rendered by default.", page, StringComparison.Ordinal);
        var load = LoadDiffLink().Match(page);
        Assert.True(load.Success, "No Load diff link:\n" + page);
        Assert.Empty(Lines(page, "long.txt"));

        var expanded = await PageAsync(project.Web, WebUtility.HtmlDecode(load.Groups[1].Value).Split('#')[0]);
        AssertRow(("+", "", "500", "+row 500"), Lines(expanded, "long.txt"));
    }

    [Theory]
    [InlineData("commits/main/..%2Fhello.txt")]
    [InlineData("commits/--output=/tmp/latchkey-history-probe")]
    [InlineData("commits/main/%2e%2e/hello.txt")]
    [InlineData("commit/--output=/tmp/latchkey-history-probe")]
    [InlineData("commit/main..main")]
    [InlineData("compare/--output=/tmp/latchkey-history-probe...main")]
    [InlineData("compare/main...--output=/tmp/latchkey-history-probe")]
    [InlineData("compare/main..main")]
    [InlineData("compare/main...%2e%2e")]
    public async Task Malformed_refs_and_paths_answer_404(string path)
    {
        using var project = await NewProjectAsync();
        await project.PushAsync();
        var (status, body) = await project.Web.GetAsync($"{project.Path}/{path}");
        Assert.True(status == HttpStatusCode.NotFound, $"{path} answered {status}:\n{body}");
        Assert.False(File.Exists("/tmp/latchkey-history-probe"));
    }

    [GeneratedRegex("data-commit-subject>([^<]*)</a>")]
    private static partial Regex SubjectLink();

    [GeneratedRegex(@"<tr class=""[^""]*"" data-line=""([^""]+)""><td class=""blob-num"" data-old-line>(\d*)</td><td class=""blob-num"" data-new-line>(\d*)</td><td class=""blob-code"">([^<]*)</td></tr>")]
    private static partial Regex DiffRow();

    [GeneratedRegex(@"<a href=""([^""]+\?expand=long.txt[^""]*)"">Load diff</a>")]
    private static partial Regex LoadDiffLink();
}
