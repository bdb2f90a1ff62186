using Latchkey.Tests.Support;
using Octokit;

namespace Latchkey.OctokitTests;

/// <summary>
/// Octokit's Git database client (<c>client.Git.*</c>): a commit built from a blob and trees, a branch
/// pointed at it, an annotated tag and its ref; every answer is what git itself says on a clone.
/// </summary>
public sealed class OctokitGitDataTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "octokit git data passphrase";
    private LatchkeyServer Server => fixture.Server;

    private async Task<(string Name, string Token, GitHubClient Client)> SignUpAsync(string stem)
    {
        var name = fixture.NewUsername(stem);
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password, $"{name}@example.test");
        var token = await web.CreateTokenAsync("octokit", ["repo"]);
        return (name, token, new GitHubClient(new ProductHeaderValue("latchkey-tests"), Server.BaseAddress) { Credentials = new Credentials(token) });
    }

    [Fact]
    public async Task A_commit_built_through_the_git_data_api_is_what_git_clones()
    {
        var (name, token, client) = await SignUpAsync("builder");
        await client.Repository.Create(new NewRepository("data") { AutoInit = true });
        var git = client.Git;

        var blob = await git.Blob.Create(name, "data", new NewBlob { Content = "hello from the API\n", Encoding = EncodingType.Utf8 });
        var read = await git.Blob.Get(name, "data", blob.Sha);
        Assert.Equal("hello from the API\n", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(read.Content)));
        Assert.Equal(EncodingType.Base64, read.Encoding.Value);
        Assert.Equal(19, read.Size);

        var main = await git.Reference.Get(name, "data", "heads/main");
        Assert.Equal("refs/heads/main", main.Ref);
        Assert.Equal(TaggedType.Commit, main.Object.Type.Value);
        var initial = await git.Commit.Get(name, "data", main.Object.Sha);
        Assert.Equal("Initial commit", initial.Message);

        var newTree = new NewTree { BaseTree = initial.Tree.Sha };
        newTree.Tree.Add(new NewTreeItem { Path = "src/app/hello.txt", Mode = "100644", Type = TreeType.Blob, Sha = blob.Sha });
        var tree = await git.Tree.Create(name, "data", newTree);
        Assert.Equal(["README.md", "src"], tree.Tree.Select(i => i.Path).Order(StringComparer.Ordinal));
        Assert.Equal(TreeType.Tree, tree.Tree.Single(i => i.Path == "src").Type.Value);
        var recursive = await git.Tree.GetRecursive(name, "data", tree.Sha);
        Assert.False(recursive.Truncated);
        var hello = recursive.Tree.Single(i => i.Path == "src/app/hello.txt");
        Assert.Equal((blob.Sha, 19, "100644"), (hello.Sha, hello.Size, hello.Mode));

        var when = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromHours(2));
        var commit = await git.Commit.Create(name, "data", new NewCommit("Add hello through the Git data API", tree.Sha, main.Object.Sha)
        {
            Author = new Committer("Ada Lovelace", "ada@example.test", when),
        });
        Assert.Equal(main.Object.Sha, Assert.Single(commit.Parents).Sha);
        Assert.Equal(("Ada Lovelace", when), (commit.Author.Name, commit.Author.Date));
        // As on GitHub, the committer is the author unless given.
        Assert.Equal("Ada Lovelace", commit.Committer.Name);
        Assert.Equal(tree.Sha, (await git.Commit.Get(name, "data", commit.Sha)).Tree.Sha);

        // main moves forward to the new commit; a branch is made at it, and may not be moved back without force.
        var moved = await git.Reference.Update(name, "data", "heads/main", new ReferenceUpdate(commit.Sha));
        Assert.Equal(commit.Sha, moved.Object.Sha);
        var feature = await git.Reference.Create(name, "data", new NewReference("refs/heads/feature/x", commit.Sha));
        Assert.Equal("refs/heads/feature/x", feature.Ref);
        var back = await Assert.ThrowsAsync<ApiValidationException>(() => git.Reference.Update(name, "data", "heads/feature/x", new ReferenceUpdate(main.Object.Sha)));
        Assert.Equal("Update is not a fast forward", back.Message);
        Assert.Equal(main.Object.Sha, (await git.Reference.Update(name, "data", "heads/feature/x", new ReferenceUpdate(main.Object.Sha, force: true))).Object.Sha);
        var twice = await Assert.ThrowsAsync<ApiValidationException>(() => git.Reference.Create(name, "data", new NewReference("refs/heads/feature/x", commit.Sha)));
        Assert.Equal("Reference already exists", twice.Message);

        var tag = await git.Tag.Create(name, "data", new NewTag
        {
            Tag = "v1.0",
            Message = "First release",
            Object = commit.Sha,
            Type = TaggedType.Commit,
            Tagger = new Committer("Release Bot", "release@example.test", when),
        });
        Assert.Equal(("v1.0", commit.Sha), (tag.Tag, tag.Object.Sha));
        var tagRef = await git.Reference.Create(name, "data", new NewReference("refs/tags/v1.0", tag.Sha));
        Assert.Equal(TaggedType.Tag, tagRef.Object.Type.Value);
        var readTag = await git.Tag.Get(name, "data", tag.Sha);
        Assert.Equal(("First release\n", "Release Bot", when), (readTag.Message, readTag.Tagger.Name, readTag.Tagger.Date));
        var tags = await client.Repository.GetAllTags(name, "data");
        var listed = Assert.Single(tags);
        Assert.Equal(("v1.0", commit.Sha), (listed.Name, listed.Commit.Sha));
        Assert.EndsWith($"/api/v3/repos/{name}/data/tarball/refs/tags/v1.0", listed.TarballUrl, StringComparison.Ordinal);

        var all = await git.Reference.GetAll(name, "data");
        Assert.Equal(["refs/heads/feature/x", "refs/heads/main", "refs/tags/v1.0"], all.Select(r => r.Ref));
        await git.Reference.Delete(name, "data", "heads/feature/x");
        Assert.DoesNotContain("refs/heads/feature/x", (await git.Reference.GetAll(name, "data")).Select(r => r.Ref));
        await Assert.ThrowsAsync<NotFoundException>(() => git.Reference.Get(name, "data", "heads/feature/x"));

        // What git says of the same objects, on a clone made with the token.
        using var local = new GitClient();
        var clone = await local.CloneAsync(Server.Url($"/{name}/data.git"), "data", name, token);
        Assert.True(clone.Succeeded, clone.ToString());
        var work = Path.Combine(local.WorkDirectory, "data");
        Assert.Equal("hello from the API\n", await File.ReadAllTextAsync(Path.Combine(work, "src", "app", "hello.txt")));
        async Task<string> Git(params string[] args)
        {
            var run = await local.RunAsync(work, null, null, args);
            Assert.True(run.Succeeded, run.ToString());
            return run.Output;
        }
        Assert.Equal(commit.Sha, (await Git("rev-parse", "HEAD")).Trim());
        Assert.Equal(tree.Sha, (await Git("rev-parse", "HEAD^{tree}")).Trim());
        Assert.Equal("Add hello through the Git data API\n", await Git("log", "-1", "--format=%B"));
        Assert.Equal("Ada Lovelace <ada@example.test> 1772593567\n", await Git("log", "-1", "--format=%an <%ae> %at"));
        Assert.Equal("19\n", await Git("cat-file", "-s", blob.Sha));
        var listing = (await Git("ls-tree", "-r", "-t", "-l", "HEAD")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t')).Select(p => (Path: p[1], Fields: p[0].Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Equal(listing.Select(l => (l.Path, l.Fields[0], l.Fields[1], l.Fields[2], l.Fields[3] == "-" ? 0 : long.Parse(l.Fields[3], System.Globalization.CultureInfo.InvariantCulture))),
            recursive.Tree.Select(i => (i.Path, i.Mode, i.Type.StringValue, i.Sha, (long)i.Size)));
        Assert.Equal($"{tag.Sha}\n", await Git("rev-parse", "v1.0"));
        var catTag = await Git("cat-file", "tag", "v1.0");
        // Octokit sends its dates in UTC, and git keeps the instant as sent.
        Assert.Equal($"object {commit.Sha}\ntype commit\ntag v1.0\ntagger Release Bot <release@example.test> 1772593567 +0000\n\nFirst release\n", catTag);
    }

    [Fact]
    public async Task Refs_reads_follow_github_one_for_an_exact_name_a_list_for_a_prefix()
    {
        var (name, _, client) = await SignUpAsync("reader");
        await client.Repository.Create(new NewRepository("refs") { AutoInit = true });
        var main = await client.Git.Reference.Get(name, "refs", "heads/main");
        await client.Git.Reference.Create(name, "refs", new NewReference("refs/heads/main-two", main.Object.Sha));

        var heads = await client.Git.Reference.GetAllForSubNamespace(name, "refs", "heads");
        Assert.Equal(["refs/heads/main", "refs/heads/main-two"], heads.Select(r => r.Ref));
        Assert.Equal(main.Object.Sha, (await client.Git.Reference.Get(name, "refs", "heads/main")).Object.Sha);
        Assert.All(heads, r => Assert.EndsWith($"/repos/{name}/refs/git/{r.Ref}", r.Url, StringComparison.Ordinal));
        await Assert.ThrowsAsync<NotFoundException>(() => client.Git.Reference.Get(name, "refs", "heads/nothing"));
        await Assert.ThrowsAsync<NotFoundException>(() => client.Git.Commit.Get(name, "refs", "0000000000000000000000000000000000000000"));
        var tree = await client.Git.Tree.Get(name, "refs", "main");
        await Assert.ThrowsAsync<NotFoundException>(() => client.Git.Commit.Get(name, "refs", tree.Sha));
        await Assert.ThrowsAsync<NotFoundException>(() => client.Git.Tag.Get(name, "refs", main.Object.Sha));
    }
}
