using System.Net;
using System.Text.Json;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>The commit and compare API's JSON, GitHub's fields, after real pushes.</summary>
public sealed class CommitApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "commit api passphrase";
    private LatchkeyServer Server => fixture.Server;

    private static async Task<(HttpStatusCode Status, JsonElement Json)> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        return (response.StatusCode, json.RootElement.Clone());
    }

    [Fact]
    public async Task A_commit_answers_its_files_and_stats_and_the_list_filters_by_path()
    {
        using var project = await HistoryProject.CreateAsync(Server, fixture.NewUsername("api"), Password);
        await project.CommitAsync("docs/a.md", "one\ntwo\n", "Add a");
        await project.CommitAsync("b.txt", "b\n", "Add b");
        await File.WriteAllTextAsync(Path.Combine(project.Local, "docs/a.md"), "one\n2\n3\n");
        await project.GitAsync("mv", "b.txt", "c.txt");
        await project.GitAsync("commit", "-qam", "Change a, rename b");
        var sha = await project.HeadAsync();
        await project.PushAsync();
        using var http = project.Api(Server);

        var (status, commit) = await GetJsonAsync(http, $"repos{project.Path}/commits/{sha}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(sha, commit.GetProperty("sha").GetString());
        Assert.Equal(3, commit.GetProperty("stats").GetProperty("total").GetInt32());
        Assert.Equal(2, commit.GetProperty("stats").GetProperty("additions").GetInt32());
        Assert.Equal(1, commit.GetProperty("stats").GetProperty("deletions").GetInt32());
        var files = commit.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("filename").GetString()!);
        Assert.Equal(["c.txt", "docs/a.md"], files.Keys.Order(StringComparer.Ordinal));
        var a = files["docs/a.md"];
        Assert.Equal("modified", a.GetProperty("status").GetString());
        Assert.Equal(3, a.GetProperty("changes").GetInt32());
        Assert.Equal("@@ -1,2 +1,3 @@\n one\n-two\n+2\n+3", a.GetProperty("patch").GetString());
        Assert.Equal(await project.GitAsync("rev-parse", "HEAD:docs/a.md"), a.GetProperty("sha").GetString());
        Assert.Equal(Server.Url($"{project.Path}/blob/{sha}/docs/a.md"), a.GetProperty("blob_url").GetString());
        Assert.Equal(Server.Url($"{project.Path}/raw/{sha}/docs/a.md"), a.GetProperty("raw_url").GetString());
        Assert.Equal(Server.Url($"api/v3/repos{project.Path}/contents/docs/a.md?ref={sha}"), a.GetProperty("contents_url").GetString());
        Assert.Equal("renamed", files["c.txt"].GetProperty("status").GetString());
        Assert.Equal("b.txt", files["c.txt"].GetProperty("previous_filename").GetString());

        var (_, history) = await GetJsonAsync(http, $"repos{project.Path}/commits?path=docs/a.md");
        Assert.Equal(["Change a, rename b", "Add a"], history.EnumerateArray().Select(c => c.GetProperty("commit").GetProperty("message").GetString()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await GetJsonAsync(http, $"repos{project.Path}/commits/--output=x")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetJsonAsync(http, $"repos{project.Path}/commits?sha=no-such-branch")).Status);
    }

    [Fact]
    public async Task A_comparison_answers_status_counts_commits_and_files()
    {
        using var project = await HistoryProject.CreateAsync(Server, fixture.NewUsername("api"), Password);
        var start = await project.HeadAsync();
        await project.PushAsync();
        await project.GitAsync("checkout", "-q", "-b", "topic");
        await project.CommitAsync("t.txt", "t\n", "Topic one");
        await project.CommitAsync("t.txt", "t2\n", "Topic two");
        await project.PushAsync("topic");
        await project.GitAsync("checkout", "-q", "main");
        var main = await project.CommitAsync("m.txt", "m\n", "Main only");
        await project.PushAsync();
        using var http = project.Api(Server);

        var (status, compare) = await GetJsonAsync(http, $"repos{project.Path}/compare/main...topic");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("diverged", compare.GetProperty("status").GetString());
        Assert.Equal(2, compare.GetProperty("ahead_by").GetInt32());
        Assert.Equal(1, compare.GetProperty("behind_by").GetInt32());
        Assert.Equal(2, compare.GetProperty("total_commits").GetInt32());
        Assert.Equal(["Topic one", "Topic two"], compare.GetProperty("commits").EnumerateArray().Select(c => c.GetProperty("commit").GetProperty("message").GetString()));
        Assert.Equal("t.txt", Assert.Single(compare.GetProperty("files").EnumerateArray()).GetProperty("filename").GetString());
        Assert.Equal(main, compare.GetProperty("base_commit").GetProperty("sha").GetString());
        Assert.Equal(start, compare.GetProperty("merge_base_commit").GetProperty("sha").GetString());
        Assert.Equal(Server.Url($"{project.Path}/compare/main...topic"), compare.GetProperty("html_url").GetString());
        Assert.Equal(Server.Url($"api/v3/repos{project.Path}/compare/main...topic"), compare.GetProperty("url").GetString());

        Assert.Equal("behind", (await GetJsonAsync(http, $"repos{project.Path}/compare/main...{start}")).Json.GetProperty("status").GetString());
        Assert.Equal("ahead", (await GetJsonAsync(http, $"repos{project.Path}/compare/{start}...main")).Json.GetProperty("status").GetString());
        Assert.Equal("identical", (await GetJsonAsync(http, $"repos{project.Path}/compare/main...main")).Json.GetProperty("status").GetString());
        var (missing, error) = await GetJsonAsync(http, $"repos{project.Path}/compare/main...no-such-branch");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("Not Found", error.GetProperty("message").GetString());
    }
}
