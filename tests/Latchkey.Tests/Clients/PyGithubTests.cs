using Latchkey.Tests.Support;

namespace Latchkey.Tests.Clients;

/// <summary>
/// A PyGithub script (Debian's python3-github), pointed at Latchkey as at GitHub Enterprise
/// (<c>Github(base_url=…/api/v3)</c>): the user, a private repository created, read and deleted, a file
/// under a nested path created, read, updated and deleted, branches and commits; and the Git data calls
/// (refs, an annotated tag, a commit from a blob and a tree). Every step's answer is what the script printed.
/// </summary>
public sealed class PyGithubTests
{
    /// <summary>Debian's interpreter, where python3-github is installed (a python3 earlier on PATH may not have it).</summary>
    private static readonly string Python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    [ClientFact("PyGithub", "/usr/bin/python3 -c 'import github'")]
    public async Task A_pygithub_script_runs_the_repository_and_contents_calls()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using (var web = server.NewBrowserSession())
            await web.SignUpAsync("pyuser", "pygithub flow passphrase");
        var token = await server.IssueClassicAsync("pyuser", ["repo", "delete_repo", "user"]);

        var (exit, output, error) = await ClientProcess.RunAsync(Python, [Path.Combine(AppContext.BaseDirectory, "Clients", "pygithub_flow.py"), server.BaseAddress.ToString(), token]);

        Assert.True(exit == 0, $"The script failed ({exit}):\n{output}\n{error}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(
        [
            "login: pyuser",
            "created: pyuser/py-flow True",
            "got: pyuser/py-flow main made by PyGithub",
            "file created: docs/nested/notes.md True",
            "file read: docs/nested/notes.md first version",
            "file updated: docs/nested/notes.md",
            "file reread: second version",
            "folder: notes.md",
            "branches: main",
            "branch: main",
            "commits: 3 | Update notes",
            "commit: True",
            "file after delete: 404",
            "repo after delete: 404",
        ], lines);
        Assert.Empty(server.FiveHundreds);
    }

    [ClientFact("PyGithub", "/usr/bin/python3 -c 'import github'")]
    public async Task A_pygithub_script_makes_refs_an_annotated_tag_and_a_commit_that_git_sees()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using (var web = server.NewBrowserSession())
            await web.SignUpAsync("pydata", "pygithub git data passphrase");
        var token = await server.IssueClassicAsync("pydata", ["repo"]);

        var (exit, output, error) = await ClientProcess.RunAsync(Python, [Path.Combine(AppContext.BaseDirectory, "Clients", "pygithub_gitdata.py"), server.BaseAddress.ToString(), token]);

        Assert.True(exit == 0, $"The script failed ({exit}):\n{output}\n{error}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(
        [
            "ref: refs/heads/py-branch commit True",
            "tag: py-v1 PyGithub release commit True",
            "tag ref: refs/tags/py-v1 tag True",
            "git tag: PyGithub release",
            "tags: py-v1",
            "branch moved: True",
            "refs: refs/heads/main,refs/heads/py-branch,refs/tags/py-v1",
        ], lines.Where(l => !l.StartsWith("sha ", StringComparison.Ordinal)));
        var shas = lines.Where(l => l.StartsWith("sha ", StringComparison.Ordinal)).ToDictionary(l => l.Split(':')[0][4..], l => l.Split(": ")[1]);

        using var git = new GitClient();
        var remote = await git.RunAsync(null, "pydata", token, "ls-remote", server.Url("/pydata/py-data.git"));
        Assert.True(remote.Succeeded, remote.ToString());
        Assert.Equal(
        [
            $"{shas["head"]}\tHEAD",
            $"{shas["head"]}\trefs/heads/main",
            $"{shas["commit"]}\trefs/heads/py-branch",
            $"{shas["tag"]}\trefs/tags/py-v1",
            $"{shas["head"]}\trefs/tags/py-v1^{{}}",
        ], remote.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(server.FiveHundreds);
    }
}
