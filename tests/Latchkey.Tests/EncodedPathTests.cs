using System.Net;
using System.Text;
using System.Text.Json;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// Paths and refs in URLs are decoded once, the way GitHub decodes them, in every catch-all route:
/// @octokit sends contents/docs%2Fnested%2Fa.md, PyGithub sends contents/docs/nested/a.md, and both
/// mean the file a.md in docs/nested (before, the first committed a root file literally named
/// "docs%2Fnested%2Fa.md"). An encoded ".." is refused, never stored.
/// </summary>
public sealed class EncodedPathTests(EncodedPathTests.World world) : IClassFixture<EncodedPathTests.World>
{
    public sealed class World : IAsyncLifetime
    {
        private readonly ServerFixture _fixture = new();
        public LatchkeyServer Server => _fixture.Server;
        public string Token { get; private set; } = "";

        public async Task InitializeAsync()
        {
            await _fixture.InitializeAsync();
            using var web = Server.NewBrowserSession();
            await web.SignUpAsync("enc", "encoded paths passphrase");
            await web.CreateRepositoryAsync("files", isPrivate: false, addReadme: true);
            Token = await Server.IssueClassicAsync("enc", ["repo"]);
            // A branch with a slash in its name, pushed with git.
            using var git = new GitClient();
            var clone = await git.CloneAsync(Server.Url("enc/files.git"), "files", "enc", Token);
            Assert.True(clone.Succeeded, clone.ToString());
            var dir = Path.Combine(git.WorkDirectory, "files");
            Assert.True((await git.RunAsync(dir, null, null, "checkout", "-b", "feature/x")).Succeeded);
            await git.CommitFileAsync(dir, "feature.txt", "on feature/x\n", "On a branch with a slash");
            var push = await git.PushAsync(dir, Server.Url("enc/files.git"), "enc", Token, "feature/x");
            Assert.True(push.Succeeded, push.ToString());
        }

        public Task DisposeAsync() => _fixture.DisposeAsync();
    }

    private LatchkeyServer Server => world.Server;

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, string? body = null, bool anonymous = false)
    {
        using var http = new HttpClient();
        // The path is sent exactly as written: %2F stays %2F on the wire.
        using var request = new HttpRequestMessage(method, new Uri(Server.BaseAddress, path));
        if (!anonymous)
            request.Headers.TryAddWithoutValidation("Authorization", "token " + world.Token);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Put(string content, string message) =>
        JsonSerializer.Serialize(new { message, content = Convert.ToBase64String(Encoding.UTF8.GetBytes(content)) });

    [Theory]
    [InlineData("docs%2Fnested%2Fa.md", "docs/nested/a.md")]
    [InlineData("docs/nested/b.md", "docs/nested/b.md")]
    [InlineData("docs%2fmixed/c.md", "docs/mixed/c.md")]
    [InlineData("with%20space/%C3%A9t%C3%A9.txt", "with space/été.txt")]
    [InlineData("percent%252Fliteral.txt", "percent%2Fliteral.txt")]
    public async Task A_file_written_under_an_encoded_or_plain_path_lands_where_the_path_says(string sent, string meant)
    {
        var (status, body) = await SendAsync(HttpMethod.Put, $"api/v3/repos/enc/files/contents/{sent}", Put("hello " + meant, "Add " + meant));
        Assert.True(status == HttpStatusCode.Created, $"{status}: {body}");
        using var created = JsonDocument.Parse(body);
        Assert.Equal(meant, created.RootElement.GetProperty("content").GetProperty("path").GetString());

        // Read back both ways, and as a raw file and a web page.
        var encoded = string.Join('/', meant.Split('/').Select(Uri.EscapeDataString));
        foreach (var read in new[] { $"api/v3/repos/enc/files/contents/{encoded}", $"api/v3/repos/enc/files/contents/{Uri.EscapeDataString(meant)}" })
        {
            var (readStatus, readBody) = await SendAsync(HttpMethod.Get, read);
            Assert.True(readStatus == HttpStatusCode.OK, $"GET {read}: {readStatus} {readBody}");
            using var file = JsonDocument.Parse(readBody);
            Assert.Equal(meant, file.RootElement.GetProperty("path").GetString());
            Assert.Equal("hello " + meant, Encoding.UTF8.GetString(Convert.FromBase64String(file.RootElement.GetProperty("content").GetString()!)));
        }
        foreach (var form in new[] { encoded, Uri.EscapeDataString(meant) })
        {
            var (raw, rawBody) = await SendAsync(HttpMethod.Get, $"enc/files/raw/main/{form}", anonymous: true);
            Assert.True(raw == HttpStatusCode.OK, $"raw/main/{form}: {raw}");
            Assert.Equal("hello " + meant, rawBody);
            var (page, _) = await SendAsync(HttpMethod.Get, $"enc/files/blob/main/{form}", anonymous: true);
            Assert.True(page == HttpStatusCode.OK, $"blob/main/{form}: {page}");
        }
        if (meant.Contains('/', StringComparison.Ordinal))
        {
            var folder = meant[..meant.LastIndexOf('/')];
            foreach (var form in new[] { string.Join('/', folder.Split('/').Select(Uri.EscapeDataString)), Uri.EscapeDataString(folder) })
            {
                var (tree, treeBody) = await SendAsync(HttpMethod.Get, $"enc/files/tree/main/{form}", anonymous: true);
                Assert.True(tree == HttpStatusCode.OK, $"tree/main/{form}: {tree}");
                Assert.Contains(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(meant[(meant.LastIndexOf('/') + 1)..]), treeBody, StringComparison.Ordinal);
            }
        }

        // Nothing is named after the encoded form.
        var (_, root) = await SendAsync(HttpMethod.Get, "api/v3/repos/enc/files/contents/");
        Assert.DoesNotContain($"\"name\":\"{sent.Split('/')[0]}\"", sent == meant ? "" : root, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("..%2F..%2Fevil.txt")]
    [InlineData("docs%2F..%2F..%2Fevil.txt")]
    [InlineData("docs/%2E%2E/%2E%2E/evil.txt")]
    [InlineData("a%2F.%2Fb.txt")]
    public async Task An_encoded_dot_dot_is_refused_and_nothing_is_committed(string sent)
    {
        var (_, before) = await SendAsync(HttpMethod.Get, "api/v3/repos/enc/files/commits?per_page=100");
        var (status, body) = await SendAsync(HttpMethod.Put, $"api/v3/repos/enc/files/contents/{sent}", Put("evil", "Escape"));
        Assert.True(status is HttpStatusCode.UnprocessableEntity or HttpStatusCode.NotFound, $"{status}: {body}");
        var (_, after) = await SendAsync(HttpMethod.Get, "api/v3/repos/enc/files/commits?per_page=100");
        Assert.Equal(JsonDocument.Parse(before).RootElement.GetArrayLength(), JsonDocument.Parse(after).RootElement.GetArrayLength());
        var (read, _) = await SendAsync(HttpMethod.Get, $"api/v3/repos/enc/files/contents/{sent}");
        Assert.Equal(HttpStatusCode.NotFound, read);
    }

    [Fact]
    public async Task A_folder_with_a_non_ascii_name_opened_as_a_file_redirects_to_its_tree()
    {
        var (status, body) = await SendAsync(HttpMethod.Put, "api/v3/repos/enc/files/contents/caf%C3%A9%20au%20lait/menu.txt", Put("espresso", "Menu"));
        Assert.True(status == HttpStatusCode.Created, $"{status}: {body}");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress };
        using var response = await http.GetAsync("enc/files/blob/main/caf%C3%A9%20au%20lait");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/enc/files/tree/main/caf%C3%A9%20au%20lait", response.Headers.Location?.OriginalString);
        using var file = JsonDocument.Parse(body);
        Assert.EndsWith("/contents/caf%C3%A9%20au%20lait/menu.txt?ref=main", file.RootElement.GetProperty("content").GetProperty("url").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("feature%2Fx")]
    [InlineData("feature/x")]
    public async Task A_branch_with_a_slash_is_found_encoded_or_not(string sent)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, $"api/v3/repos/enc/files/branches/{sent}");
        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        Assert.Equal("feature/x", JsonDocument.Parse(body).RootElement.GetProperty("name").GetString());
        var (commitStatus, commit) = await SendAsync(HttpMethod.Get, $"api/v3/repos/enc/files/commits/{sent}");
        Assert.True(commitStatus == HttpStatusCode.OK, $"{commitStatus}: {commit}");
        Assert.Equal("On a branch with a slash", JsonDocument.Parse(commit).RootElement.GetProperty("commit").GetProperty("message").GetString());
    }
}
