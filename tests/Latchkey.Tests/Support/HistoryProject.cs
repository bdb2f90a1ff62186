namespace Latchkey.Tests.Support;

/// <summary>A signed-in owner with a token, an empty repository "log", and a local clone with one commit ("Add hello.txt") to push from.</summary>
public sealed record HistoryProject(WebSession Web, GitClient Git, string Owner, string Name, string Local, string Token, string Url) : IDisposable
{
    public string Path => $"/{Owner}/{Name}";

    public static async Task<HistoryProject> CreateAsync(LatchkeyServer server, string owner, string password, bool isPrivate = false)
    {
        var web = server.NewBrowserSession();
        await web.SignUpAsync(owner, password);
        await web.CreateRepositoryAsync("log", isPrivate);
        var token = await web.CreateTokenAsync("push", ["repo"]);
        var git = new GitClient();
        var local = await git.NewLocalRepositoryAsync("log-" + owner);
        return new HistoryProject(web, git, owner, "log", local, token, server.Url($"/{owner}/log.git"));
    }

    public async Task<string> CommitAsync(string file, string content, string message)
    {
        await Git.CommitFileAsync(System.IO.Path.GetFileName(Local), file, content, message);
        return await HeadAsync();
    }

    public async Task<string> GitAsync(params string[] args)
    {
        var run = await Git.RunAsync(Local, null, null, args);
        Assert.True(run.Succeeded, run.ToString());
        return run.Output.Trim();
    }

    public Task<string> HeadAsync() => GitAsync("rev-parse", "HEAD");

    public async Task PushAsync(string refspec = "main")
    {
        var push = await Git.PushAsync(Local, Url, Owner, Token, refspec);
        Assert.True(push.Succeeded, push.ToString());
    }

    /// <summary>An API client with the owner's token.</summary>
    public HttpClient Api(LatchkeyServer server)
    {
        var http = new HttpClient { BaseAddress = new Uri(server.BaseAddress, "api/v3/") };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + Token);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("latchkey-tests");
        return http;
    }

    public void Dispose()
    {
        Git.Dispose();
        Web.Dispose();
    }
}
