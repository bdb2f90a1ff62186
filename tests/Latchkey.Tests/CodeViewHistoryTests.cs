using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// The code view as GitHub shows it (#17): branches and tags pages, the branch/tag switcher, the last
/// commit of the folder and of each entry, the commit count, blame; with names and messages that
/// hold HTML, all shown as text.
/// </summary>
public sealed partial class CodeViewHistoryTests(CodeViewHistoryTests.World world) : IClassFixture<CodeViewHistoryTests.World>
{
    private const string Password = "code view history passphrase";
    private const string Owner = "dev";
    private const string HostileBranch = "x<b>y";
    private const string QuoteBranch = "\"onmouseover=\"alert(1)";
    private const string HostileTag = "t<script>";
    private const string HostileFile = "<img src=x onerror=alert(1)>";
    private const string HostileSubject = "Add a fourth line <b>bold</b>";

    /// <summary>
    /// dev/proj: "Initial commit" (README.md), then c1 (poem.txt lines one..three, src/a.txt), c2 (line two
    /// changed, src/b.txt), c3 (line four, src/&lt;img…&gt;); branches feature/x, x&lt;b&gt;y and the quoted
    /// one, each with a commit of its own dated 2.5, 4.5 and 3.5 days ago; tags v1.0 (lightweight, c1),
    /// v2.0 (annotated, c3), t&lt;script&gt; (c2).
    /// </summary>
    public sealed class World : IAsyncLifetime
    {
        private readonly ServerFixture _fixture = new();
        public LatchkeyServer Server => _fixture.Server;
        public WebSession Web { get; private set; } = null!;
        public string Initial { get; private set; } = "";
        public string C1 { get; private set; } = "";
        public string C2 { get; private set; } = "";
        public string C3 { get; private set; } = "";

        public async Task InitializeAsync()
        {
            await _fixture.InitializeAsync();
            Web = Server.NewBrowserSession();
            await Web.SignUpAsync(Owner, Password);
            await Web.CreateRepositoryAsync("proj", addReadme: true);
            var token = await Server.IssueClassicAsync(Owner, ["repo"]);
            using var git = new GitClient();
            var url = Server.Url($"/{Owner}/proj.git");
            var clone = await git.CloneAsync(url, "proj", Owner, token);
            Assert.True(clone.Succeeded, clone.ToString());
            var dir = Path.Combine(git.WorkDirectory, "proj");
            async Task<string> Head() => (await git.RunAsync(dir, null, null, "rev-parse", "HEAD")).Output.Trim();
            async Task Git(params string[] args)
            {
                var run = await git.RunAsync(dir, null, null, args);
                Assert.True(run.Succeeded, run.ToString());
            }

            Initial = await Head();
            Directory.CreateDirectory(Path.Combine(dir, "src"));
            await File.WriteAllTextAsync(Path.Combine(dir, "src", "a.txt"), "a\n");
            await git.CommitFileAsync("proj", "poem.txt", "one\ntwo\nthree\n", "Add the poem and a");
            C1 = await Head();
            await File.WriteAllTextAsync(Path.Combine(dir, "src", "b.txt"), "b\n");
            await git.CommitFileAsync("proj", "poem.txt", "one\nTWO\nthree\n", "Rework line two");
            C2 = await Head();
            await File.WriteAllTextAsync(Path.Combine(dir, "src", HostileFile), "hostile name\n");
            await File.WriteAllBytesAsync(Path.Combine(dir, "src", "logo.bin"), [0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]);
            await git.CommitFileAsync("proj", "poem.txt", "one\nTWO\nthree\nfour\n", HostileSubject);
            C3 = await Head();

            foreach (var (branch, daysAgo) in new[] { ("feature/x", 2.5), (HostileBranch, 4.5), (QuoteBranch, 3.5) })
            {
                await Git("checkout", "-q", "-b", branch, "main");
                var when = DateTimeOffset.UtcNow.AddDays(-daysAgo).ToUnixTimeSeconds() + " +0000";
                git.Environment["GIT_COMMITTER_DATE"] = when;
                git.Environment["GIT_AUTHOR_DATE"] = when;
                await git.CommitFileAsync("proj", "src/feature.txt", "only on " + branch + "\n", "Work on a branch");
                git.Environment.Clear();
            }
            await Git("checkout", "-q", "main");
            await Git("tag", "v1.0", C1);
            await Git("tag", "-a", "v2.0", "-m", "Release <b>two</b>", C3);
            await Git("tag", HostileTag, C2);
            var push = await git.RunAsync(dir, Owner, token, "push", url, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*");
            Assert.True(push.Succeeded, push.ToString());
        }

        public async Task DisposeAsync()
        {
            Web?.Dispose();
            await _fixture.DisposeAsync();
        }
    }

    private async Task<string> PageAsync(string path, WebSession? session = null)
    {
        var (status, body) = await (session ?? world.Web).GetAsync(path);
        Assert.True(status == HttpStatusCode.OK, $"GET {path} answered {status}:\n{body}");
        return body;
    }

    private static List<string> Values(string html, string attribute) =>
        Regex.Matches(html, $"{attribute}=\"([^\"]*)\"").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    private static string Url(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    [Fact]
    public async Task The_branches_page_lists_the_default_branch_first_then_the_others_by_last_commit_date()
    {
        var page = await PageAsync($"/{Owner}/proj/branches");
        Assert.Equal(["main", "feature/x", QuoteBranch, HostileBranch], Values(page, "data-branch"));
        Assert.Contains("Default", page, StringComparison.Ordinal);
        Assert.Contains($"href=\"/{Owner}/proj/tree/feature/x\"", page, StringComparison.Ordinal);
        Assert.Contains("Updated <time", page, StringComparison.Ordinal);
        Assert.Contains(">2 days ago</time> by <strong>Test Person</strong>", page, StringComparison.Ordinal);
        Assert.Contains(">4 days ago</time>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_branches_page_shows_thirty_other_branches_a_page()
    {
        using var web = world.Server.NewBrowserSession();
        var owner = "brancher";
        await web.SignUpAsync(owner, Password);
        await web.CreateRepositoryAsync("many", addReadme: true);
        var token = await world.Server.IssueClassicAsync(owner, ["repo"]);
        using var git = new GitClient();
        var url = world.Server.Url($"/{owner}/many.git");
        Assert.True((await git.CloneAsync(url, "many", owner, token)).Succeeded);
        var dir = Path.Combine(git.WorkDirectory, "many");
        for (var i = 1; i <= 35; i++)
            Assert.True((await git.RunAsync(dir, null, null, "branch", $"topic-{i:00}")).Succeeded);
        var push = await git.RunAsync(dir, owner, token, "push", url, "refs/heads/*:refs/heads/*");
        Assert.True(push.Succeeded, push.ToString());

        var first = await PageAsync($"/{owner}/many/branches", web);
        var shown = Values(first, "data-branch");
        Assert.Equal(31, shown.Count);
        Assert.Equal("main", shown[0]);
        Assert.Contains($"href=\"/{owner}/many/branches?page=2\">Next</a>", first, StringComparison.Ordinal);
        var second = await PageAsync($"/{owner}/many/branches?page=2", web);
        var rest = Values(second, "data-branch");
        Assert.Equal(5, rest.Count);
        Assert.DoesNotContain("main", rest);
        Assert.Equal(Enumerable.Range(1, 35).Select(i => $"topic-{i:00}").Order(StringComparer.Ordinal), shown.Skip(1).Concat(rest).Order(StringComparer.Ordinal));
        Assert.Contains($"href=\"/{owner}/many/branches\">Previous</a>", second, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync($"/{owner}/many/branches?page=3")).Status);
    }

    [Fact]
    public async Task The_tags_page_lists_annotated_and_lightweight_tags_with_their_commit_and_archive_links()
    {
        var page = await PageAsync($"/{Owner}/proj/tags");
        var tags = Values(page, "data-tag");
        Assert.Equal([HostileTag, "v1.0", "v2.0"], tags.Order(StringComparer.Ordinal));
        foreach (var (tag, commit) in new[] { ("v1.0", world.C1), ("v2.0", world.C3) })
        {
            var row = page[page.IndexOf($"data-tag=\"{tag}\"", StringComparison.Ordinal)..];
            row = row[..(row.IndexOf("</div>\n                </div>", StringComparison.Ordinal) + 1)];
            // An annotated tag shows the commit it points at, not the tag object.
            Assert.Contains($"href=\"/{Owner}/proj/commit/{commit}\"", row, StringComparison.Ordinal);
            Assert.Contains($">{commit[..7]}</a>", row, StringComparison.Ordinal);
            Assert.Contains($"href=\"/{Owner}/proj/archive/refs/tags/{tag}.zip\"", row, StringComparison.Ordinal);
            Assert.Contains($"href=\"/{Owner}/proj/archive/refs/tags/{tag}.tar.gz\"", row, StringComparison.Ordinal);
        }
        Assert.Contains($"href=\"/{Owner}/proj/archive/refs/tags/t%3Cscript%3E.zip\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_switcher_lists_branches_and_tags_and_opens_the_same_path_on_another_ref()
    {
        var tree = await PageAsync($"/{Owner}/proj/tree/main/src");
        Assert.Equal([$"/{Owner}/proj/tree/main/src", $"/{Owner}/proj/tree/%22onmouseover%3D%22alert%281%29/src", $"/{Owner}/proj/tree/feature/x/src",
            $"/{Owner}/proj/tree/x%3Cb%3Ey/src"], SwitcherLinks(tree, "data-switch-branch"));
        Assert.Equal([$"/{Owner}/proj/tree/t%3Cscript%3E/src", $"/{Owner}/proj/tree/v1.0/src", $"/{Owner}/proj/tree/v2.0/src"], SwitcherLinks(tree, "data-switch-tag"));
        Assert.Contains($"href=\"/{Owner}/proj/branches\">View all branches</a>", tree, StringComparison.Ordinal);
        Assert.DoesNotContain("feature.txt", tree, StringComparison.Ordinal);

        // A ref with a slash, then a path: the longest prefix that names a ref is the ref.
        var feature = await PageAsync($"/{Owner}/proj/tree/feature/x/src");
        Assert.Contains($"href=\"/{Owner}/proj/blob/feature/x/src/feature.txt\"", feature, StringComparison.Ordinal);
        Assert.Contains("data-current-ref>feature/x</span>", feature, StringComparison.Ordinal);
        Assert.Contains("feature.txt", await PageAsync($"/{Owner}/proj/tree/feature%2Fx/src"), StringComparison.Ordinal);
        Assert.Contains("poem.txt", await PageAsync($"/{Owner}/proj/tree/main/"), StringComparison.Ordinal);
        var hostile = await PageAsync($"/{Owner}/proj/tree/x%3Cb%3Ey/src");
        Assert.Contains("feature.txt", hostile, StringComparison.Ordinal);

        var blob = await PageAsync($"/{Owner}/proj/blob/main/poem.txt");
        Assert.Contains($"/{Owner}/proj/blob/feature/x/poem.txt", SwitcherLinks(blob, "data-switch-branch"));
        Assert.Contains("only on feature/x", await PageAsync($"/{Owner}/proj/blob/feature/x/src/feature.txt"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await world.Web.GetAsync($"/{Owner}/proj/tree/no-such-branch/src")).Status);
    }

    private static List<string> SwitcherLinks(string html, string marker) =>
        Regex.Matches(html, $"href=\"([^\"]*)\" {marker}>").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    [Fact]
    public async Task Each_entry_of_a_folder_names_the_commit_that_last_changed_it_and_the_folder_counts_its_commits()
    {
        var src = EntryCommits(await PageAsync($"/{Owner}/proj/tree/main/src"));
        Assert.Equal(new Dictionary<string, string> { ["a.txt"] = world.C1, ["b.txt"] = world.C2, [HostileFile] = world.C3, ["logo.bin"] = world.C3 }, src);

        var home = await PageAsync($"/{Owner}/proj");
        Assert.Equal(new Dictionary<string, string> { ["src"] = world.C3, ["poem.txt"] = world.C3, ["README.md"] = world.Initial }, EntryCommits(home));
        Assert.Matches($"<a class=\"[^\"]*\" href=\"/{Owner}/proj/commits/main\" data-commit-count>\\s*<svg[^>]*>.*?</svg>\\s*<strong>4</strong> commits", home.ReplaceLineEndings(" "));
        Assert.Contains($"href=\"/{Owner}/proj/commit/{world.C3}\" data-last-commit>", home, StringComparison.Ordinal);
        Assert.Contains($">{world.C3[..7]}</a>", home, StringComparison.Ordinal);
        Assert.Contains("<strong>3</strong> commits", await PageAsync($"/{Owner}/proj/tree/main/src"), StringComparison.Ordinal);
        Assert.Contains("<strong>2</strong> commits", await PageAsync($"/{Owner}/proj/tree/v1.0"), StringComparison.Ordinal);
    }

    /// <summary>Entry name → the sha its row links as its last commit.</summary>
    private static Dictionary<string, string> EntryCommits(string html) =>
        html.Split("data-file-entry>")[1..].Select(row => (
                Name: WebUtility.HtmlDecode(Regex.Match(row, "class=\"Link--primary[^\"]*\" href=\"[^\"]*\">([^<]*)</a>").Groups[1].Value),
                Sha: Regex.Match(row, "data-entry-commit=\"([0-9a-f]+)\"").Groups[1].Value))
            .ToDictionary(e => e.Name, e => e.Sha);

    [Fact]
    public async Task Blame_names_the_commit_that_last_changed_each_line()
    {
        var page = await PageAsync($"/{Owner}/proj/blame/main/poem.txt");
        var groups = page.Split("data-blame-commit=\"")[1..].Select(g => g[..40] + ": " + string.Join(',', Values(g, "data-blame-line")));
        Assert.Equal([world.C1 + ": 1", world.C2 + ": 2", world.C1 + ": 3", world.C3 + ": 4"], groups);
        Assert.Contains(">TWO</td>", page, StringComparison.Ordinal);
        Assert.Contains($"href=\"/{Owner}/proj/commit/{world.C2}\">Rework line two</a>", page, StringComparison.Ordinal);
        Assert.Contains("4 lines", page, StringComparison.Ordinal);

        // On a branch with a slash, and a folder goes to the tree.
        Assert.Contains("data-blame-line=\"1\"", await PageAsync($"/{Owner}/proj/blame/feature/x/src/feature.txt"), StringComparison.Ordinal);
        using (var folder = await world.Web.Http.GetAsync($"{Owner}/proj/blame/main/src"))
        {
            Assert.Equal(HttpStatusCode.Redirect, folder.StatusCode);
            Assert.Equal($"/{Owner}/proj/tree/main/src", folder.Headers.Location?.OriginalString);
        }
        var binary = await PageAsync($"/{Owner}/proj/blame/main/src/logo.bin");
        Assert.Contains("Binary file not shown.", binary, StringComparison.Ordinal);
        Assert.DoesNotContain("data-blame-line", binary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_page_links_its_history_and_blame_beside_raw()
    {
        var page = await PageAsync($"/{Owner}/proj/blob/main/poem.txt");
        Assert.Contains($"href=\"/{Owner}/proj/raw/main/poem.txt\">Raw</a>", page, StringComparison.Ordinal);
        Assert.Contains($"href=\"/{Owner}/proj/blame/main/poem.txt\" data-blame-link>Blame</a>", page, StringComparison.Ordinal);
        Assert.Contains($"href=\"/{Owner}/proj/commits/main/poem.txt\" data-history-link>", page, StringComparison.Ordinal);
        // Raw follows the same ref resolution.
        Assert.Equal("only on feature/x\n", await PageAsync($"/{Owner}/proj/raw/feature/x/src/feature.txt"));
    }

    [Fact]
    public async Task Names_messages_and_file_names_holding_html_are_shown_as_text_on_every_page()
    {
        string[] pages =
        [
            $"/{Owner}/proj", $"/{Owner}/proj/branches", $"/{Owner}/proj/tags", $"/{Owner}/proj/tree/main/src",
            $"/{Owner}/proj/tree/{Url(HostileBranch)}/src", $"/{Owner}/proj/tree/{Url(QuoteBranch)}", $"/{Owner}/proj/tree/{Url(HostileTag)}",
            $"/{Owner}/proj/blob/main/src/{Url(HostileFile)}", $"/{Owner}/proj/blob/{Url(HostileBranch)}/poem.txt",
            $"/{Owner}/proj/blame/main/poem.txt", $"/{Owner}/proj/blame/main/src/{Url(HostileFile)}", $"/{Owner}/proj/blame/{Url(QuoteBranch)}/poem.txt",
        ];
        string[] raw = [HostileBranch, QuoteBranch, "\"onmouseover=\"", HostileTag, HostileFile, "<b>bold</b>", "<b>two</b>"];
        foreach (var path in pages)
        {
            var page = await PageAsync(path);
            foreach (var markup in raw)
                Assert.False(page.Contains(markup, StringComparison.Ordinal), $"GET {path} shows {markup} as markup:\n{page}");
        }
        Assert.Contains("x&lt;b&gt;y", await PageAsync($"/{Owner}/proj/branches"), StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", await PageAsync($"/{Owner}/proj/tree/main/src"), StringComparison.Ordinal);
        Assert.Contains("Add a fourth line &lt;b&gt;bold&lt;/b&gt;", await PageAsync($"/{Owner}/proj/blame/main/poem.txt"), StringComparison.Ordinal);
        Assert.Contains("t&lt;script&gt;", await PageAsync($"/{Owner}/proj/tags"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/blame/main/%2E%2E/%2E%2E/etc/passwd")]
    [InlineData("/blame/main/src/..%2F..%2Fpoem.txt")]
    [InlineData("/blame/--output=%2Ftmp%2FOUT/poem.txt")]
    [InlineData("/blame/--output=OUT/poem.txt")]
    [InlineData("/blame/main..feature/poem.txt")]
    [InlineData("/blame/main~1/poem.txt")]
    [InlineData("/blame/main/no-such-file.txt")]
    public async Task Blame_of_an_unsafe_or_missing_path_or_ref_is_404_and_writes_nothing(string suffix)
    {
        var target = Path.Combine(Path.GetTempPath(), "latchkey-blame-" + Guid.NewGuid().ToString("N"));
        var (status, body) = await world.Web.GetAsync($"/{Owner}/proj{suffix.Replace("OUT", Uri.EscapeDataString(target), StringComparison.Ordinal)}");
        Assert.True(status == HttpStatusCode.NotFound, $"{suffix} answered {status}:\n{body}");
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task A_private_repositorys_new_pages_are_404_to_a_stranger_and_to_anonymous()
    {
        var owner = "keeper";
        using var keeper = world.Server.NewBrowserSession();
        await keeper.SignUpAsync(owner, Password);
        await keeper.CreateRepositoryAsync("hidden", isPrivate: true, addReadme: true);
        using var stranger = world.Server.NewBrowserSession();
        await stranger.SignUpAsync("stranger", Password);
        using var anonymous = world.Server.NewBrowserSession();
        foreach (var path in new[] { "branches", "tags", "blame/main/README.md", "tree/main", "blob/main/README.md" })
        {
            await PageAsync($"/{owner}/hidden/{path}", keeper);
            foreach (var (who, session) in new[] { ("a stranger", stranger), ("anonymous", anonymous) })
            {
                var (status, body) = await session.GetAsync($"/{owner}/hidden/{path}");
                Assert.True(status == HttpStatusCode.NotFound, $"/{owner}/hidden/{path} as {who} answered {status}:\n{body}");
            }
        }
    }
}

/// <summary>Blame past Git:BrowseSeconds: git is stopped and the page says so, with no error and no hung request; a file too large to show is not blamed.</summary>
public sealed class SlowBlameTests
{
    [Fact]
    public async Task A_blame_past_the_time_limit_or_of_a_file_past_the_display_limit_says_so()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Git:BrowseSeconds"] = "1" });
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("slow", "slow blame passphrase");
        await web.CreateRepositoryAsync("big");
        var token = await server.IssueClassicAsync("slow", ["repo"]);
        using var git = new GitClient();
        var work = await git.NewLocalRepositoryAsync("big");
        // Lines that repeat ("a", "b") and change everywhere in each commit leave git's diff no
        // shortcut: blaming 20 such versions of a 200,000-line file takes git several seconds.
        var random = new Random(17);
        var lines = Enumerable.Range(0, 200_000).Select(_ => random.Next(2) == 0 ? "a" : "b").ToArray();
        for (var commit = 0; commit < 20; commit++)
        {
            for (var i = 0; i < lines.Length / 10; i++)
            {
                var at = random.Next(lines.Length);
                lines[at] = lines[at] == "a" ? "b" : "a";
            }
            await git.CommitFileAsync("big", "big.txt", string.Join('\n', lines) + "\n", $"Version {commit}");
        }
        // And one past the display limit (RepositoryBrowser.MaxDisplayBytes, 1 MiB).
        await git.CommitFileAsync("big", "huge.txt", string.Concat(Enumerable.Repeat("a line of a file too large to blame\n", 40_000)), "Add a huge file");
        var push = await git.PushAsync(work, server.Url("/slow/big.git"), "slow", token);
        Assert.True(push.Succeeded, push.ToString());

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (status, page) = await web.GetAsync("/slow/big/blame/main/big.txt");
        Assert.True(status == HttpStatusCode.OK, $"{status}:\n{page}");
        Assert.Contains("This blame took too long to load.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-blame-line", page, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"The page took {watch.Elapsed}.");
        var huge = await web.GetAsync("/slow/big/blame/main/huge.txt");
        Assert.True(huge.Status == HttpStatusCode.OK, $"{huge.Status}:\n{huge.Body}");
        Assert.Contains("This file is too large to blame.", huge.Body, StringComparison.Ordinal);
        // The same file's page does not depend on blame.
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync("/slow/big/blob/main/big.txt")).Status);
    }
}
