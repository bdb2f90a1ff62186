using Latchkey.Tests.Support;
using Octokit;

namespace Latchkey.OctokitTests;

/// <summary>A commit's files and stats, and a comparison, read through Octokit after real pushes.</summary>
public sealed class OctokitCommitDiffTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "octokit diff passphrase";

    private static GitHubClient Client(LatchkeyServer server, string token) =>
        new(new ProductHeaderValue("latchkey-tests"), server.BaseAddress) { Credentials = new Credentials(token) };

    [Fact]
    public async Task Commit_get_has_the_files_and_stats_git_show_numstat_reports()
    {
        var owner = fixture.NewUsername("octo");
        using var project = await HistoryProject.CreateAsync(fixture.Server, owner, Password);
        await project.CommitAsync("src/app.txt", "alpha\nbeta\ngamma\n", "Add app");
        await File.WriteAllTextAsync(Path.Combine(project.Local, "src/app.txt"), "alpha\nBETA\ngamma\ndelta\n");
        await File.WriteAllBytesAsync(Path.Combine(project.Local, "image.bin"), [0, 255, 0, 1]);
        await project.GitAsync("rm", "-q", "hello.txt");
        await project.GitAsync("add", "--all");
        await project.GitAsync("commit", "-qm", "Edit app, add image, drop hello");
        var sha = await project.HeadAsync();
        await project.PushAsync();

        var commit = await Client(fixture.Server, project.Token).Repository.Commit.Get(owner, project.Name, sha);

        var numstat = (await project.GitAsync("show", "--numstat", "--format=", sha)).Split('\n')
            .Select(line => line.Split('\t'))
            .ToDictionary(parts => parts[2], parts => (Additions: parts[0] == "-" ? 0 : int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
                Deletions: parts[1] == "-" ? 0 : int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(numstat.Keys.Order(StringComparer.Ordinal), commit.Files.Select(f => f.Filename).Order(StringComparer.Ordinal));
        foreach (var file in commit.Files)
        {
            Assert.Equal(numstat[file.Filename].Additions, file.Additions);
            Assert.Equal(numstat[file.Filename].Deletions, file.Deletions);
            Assert.Equal(file.Additions + file.Deletions, file.Changes);
        }
        Assert.Equal(numstat.Values.Sum(v => v.Additions), commit.Stats.Additions);
        Assert.Equal(numstat.Values.Sum(v => v.Deletions), commit.Stats.Deletions);
        Assert.Equal(commit.Stats.Additions + commit.Stats.Deletions, commit.Stats.Total);
        Assert.Equal("removed", commit.Files.Single(f => f.Filename == "hello.txt").Status);
        Assert.Equal("added", commit.Files.Single(f => f.Filename == "image.bin").Status);
        var app = commit.Files.Single(f => f.Filename == "src/app.txt");
        Assert.Equal("modified", app.Status);
        Assert.Equal("@@ -1,3 +1,4 @@\n alpha\n-beta\n+BETA\n gamma\n+delta", app.Patch);
    }

    [Fact]
    public async Task Commit_compare_reports_ahead_behind_commits_and_files()
    {
        var owner = fixture.NewUsername("octo");
        using var project = await HistoryProject.CreateAsync(fixture.Server, owner, Password);
        await project.PushAsync();
        await project.GitAsync("checkout", "-q", "-b", "feature/compare");
        await project.CommitAsync("feature.txt", "f\n", "Feature work");
        await project.PushAsync("feature/compare");
        await project.GitAsync("checkout", "-q", "main");
        await project.CommitAsync("main.txt", "m\n", "Main work");
        await project.CommitAsync("main.txt", "m2\n", "More main work");
        await project.PushAsync();
        var client = Client(fixture.Server, project.Token);

        var compare = await client.Repository.Commit.Compare(owner, project.Name, "main", "feature/compare");
        Assert.Equal("diverged", compare.Status);
        Assert.Equal(1, compare.AheadBy);
        Assert.Equal(2, compare.BehindBy);
        Assert.Equal(1, compare.TotalCommits);
        Assert.Equal("Feature work", Assert.Single(compare.Commits).Commit.Message);
        Assert.Equal("feature.txt", Assert.Single(compare.Files).Filename);

        var reverse = await client.Repository.Commit.Compare(owner, project.Name, "feature/compare", "main");
        Assert.Equal(2, reverse.AheadBy);
        Assert.Equal(["main.txt"], reverse.Files.Select(f => f.Filename));
        await Assert.ThrowsAsync<NotFoundException>(() => client.Repository.Commit.Compare(owner, project.Name, "main", "no-such-branch"));
    }
}
