using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Latchkey.Tests.Support;
using Latchkey.Tokens;

namespace Latchkey.Tests;

/// <summary>
/// Archives as CI downloads them: <c>curl -L -H "Authorization: Bearer $TOKEN" …/tarball/REF</c>, followed
/// here hop by hop (the API's 302, then the archive), each hop answering the token and neither sending
/// to the sign-in page; the web's download links with the session cookie; GitHub's file and folder
/// names; and refs from the URL that never reach git as anything but a ref.
/// </summary>
public sealed class ArchiveDownloadTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "archive download passphrase";
    private LatchkeyServer Server => fixture.Server;

    /// <summary>An owner with a private repository "app": a README on main, a branch feature/x and a tag v1.0; its token (repo) and a clone.</summary>
    private sealed record Owner(string Name, WebSession Web, string Token, GitClient Git, string Checkout) : IDisposable
    {
        public void Dispose()
        {
            Web.Dispose();
            Git.Dispose();
        }
    }

    private async Task<Owner> OwnerAsync(string stem, bool isPrivate = true)
    {
        var name = fixture.NewUsername(stem);
        var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("app", isPrivate, addReadme: true);
        var token = await web.CreateTokenAsync("ci", ["repo"]);
        var git = new GitClient();
        var clone = await git.CloneAsync(Server.Url($"/{name}/app.git"), "app", name, token);
        Assert.True(clone.Succeeded, clone.ToString());
        var dir = Path.Combine(git.WorkDirectory, "app");
        await git.CommitFileAsync("app", "src/main.c", "int main(void) { return 0; }\n", "Add main.c");
        foreach (var args in new[] { new[] { "tag", "v1.0" }, ["branch", "feature/x"] })
            Assert.True((await git.RunAsync(dir, null, null, args)).Succeeded);
        var push = await git.RunAsync(dir, name, token, "push", "origin", "main", "feature/x", "v1.0");
        Assert.True(push.Succeeded, push.ToString());
        return new Owner(name, web, token, git, dir);
    }

    private static HttpClient Curl() => new(WebSession.Handler(null, null));

    private static HttpRequestMessage Get(string url, AuthenticationHeaderValue? credential)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = credential;
        return request;
    }

    private static async Task<string> ShaAsync(Owner owner, string rev) =>
        (await owner.Git.RunAsync(owner.Checkout, null, null, "rev-parse", rev)).Output.Trim();

    /// <summary>What `git archive` of the same commit, format and prefix makes on the clone.</summary>
    private static async Task<byte[]> LocalArchiveAsync(Owner owner, string format, string prefix, string commit)
    {
        var file = Path.Combine(owner.Git.WorkDirectory, $"expected-{Guid.NewGuid():N}");
        var run = await owner.Git.RunAsync(owner.Checkout, null, null, "archive", "--format=" + format, "--prefix=" + prefix, "-o", file, commit);
        Assert.True(run.Succeeded, run.ToString());
        return await File.ReadAllBytesAsync(file);
    }

    private static byte[] Gunzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    public static TheoryData<string, string> SchemesAndFormats()
    {
        var data = new TheoryData<string, string>();
        foreach (var scheme in new[] { "Bearer", "token", "Basic" })
        {
            foreach (var format in new[] { "tarball", "zipball" })
                data.Add(scheme, format);
        }
        return data;
    }

    private static AuthenticationHeaderValue Credential(string scheme, string token) => scheme == "Basic"
        ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("ci:" + token)))
        : new AuthenticationHeaderValue(scheme, token);

    [Theory]
    [MemberData(nameof(SchemesAndFormats))]
    public async Task A_token_in_the_header_downloads_a_private_archive_on_both_hops(string scheme, string format)
    {
        using var owner = await OwnerAsync("ci");
        var credential = Credential(scheme, owner.Token);
        using var curl = Curl();

        using var api = await curl.SendAsync(Get(Server.Url($"/api/v3/repos/{owner.Name}/app/{format}/main"), credential));
        Assert.True(api.StatusCode == HttpStatusCode.Found, $"The API answered {api.StatusCode}: {await api.Content.ReadAsStringAsync()}");
        var location = api.Headers.Location!;
        Assert.True(location.IsAbsoluteUri, location.ToString());
        var extension = format == "tarball" ? "tar.gz" : "zip";
        Assert.Equal(Server.Url($"/{owner.Name}/app/legacy.{extension}/refs/heads/main"), location.ToString());
        Assert.DoesNotContain(owner.Token, location.ToString(), StringComparison.Ordinal);

        using var archive = await curl.SendAsync(Get(location.ToString(), credential));
        var body = await archive.Content.ReadAsByteArrayAsync();
        Assert.True(archive.StatusCode == HttpStatusCode.OK, $"The archive hop answered {archive.StatusCode} (Location {archive.Headers.Location}): {Encoding.UTF8.GetString(body)}");
        var commit = await ShaAsync(owner, "main");
        var name = $"{owner.Name}-app-{commit[..7]}";
        Assert.Equal(format == "tarball" ? "application/x-gzip" : "application/zip", archive.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"attachment; filename={name}.{extension}", archive.Content.Headers.ContentDisposition?.ToString());
        var expected = await LocalArchiveAsync(owner, extension, name + "/", commit);
        if (format == "tarball")
            Assert.True(Gunzip(expected).AsSpan().SequenceEqual(Gunzip(body)), "The tarball differs from git archive of the same commit");
        else
            Assert.True(expected.AsSpan().SequenceEqual(body), "The zipball differs from git archive of the same commit");
    }

    [Fact]
    public async Task Without_a_ref_the_api_sends_to_the_default_branch()
    {
        using var owner = await OwnerAsync("bare");
        using var curl = Curl();
        foreach (var path in new[] { "tarball", "tarball/" })
        {
            using var api = await curl.SendAsync(Get(Server.Url($"/api/v3/repos/{owner.Name}/app/{path}"), Credential("Bearer", owner.Token)));
            Assert.True(api.StatusCode == HttpStatusCode.Found, $"{path} answered {api.StatusCode}: {await api.Content.ReadAsStringAsync()}");
            Assert.Equal(Server.Url($"/{owner.Name}/app/legacy.tar.gz/refs/heads/main"), api.Headers.Location?.ToString());
        }
    }

    [Fact]
    public async Task Tags_branches_with_slashes_and_shas_redirect_to_their_full_names()
    {
        using var owner = await OwnerAsync("refs");
        using var curl = Curl();
        var sha = await ShaAsync(owner, "main");
        foreach (var (asked, sent) in new[] { ("v1.0", "refs/tags/v1.0"), ("feature/x", "refs/heads/feature/x"), (sha, sha), (sha[..7], sha[..7]) })
        {
            using var api = await curl.SendAsync(Get(Server.Url($"/api/v3/repos/{owner.Name}/app/zipball/{asked}"), Credential("token", owner.Token)));
            Assert.True(api.StatusCode == HttpStatusCode.Found, $"zipball/{asked} answered {api.StatusCode}: {await api.Content.ReadAsStringAsync()}");
            Assert.Equal(Server.Url($"/{owner.Name}/app/legacy.zip/{sent}"), api.Headers.Location?.ToString());
            using var archive = await curl.SendAsync(Get(api.Headers.Location!.ToString(), Credential("token", owner.Token)));
            Assert.Equal(HttpStatusCode.OK, archive.StatusCode);
        }
    }

    [Fact]
    public async Task Anonymous_callers_and_other_accounts_get_404_on_both_hops_of_a_private_repository_never_the_sign_in_page()
    {
        using var owner = await OwnerAsync("hidden");
        using var stranger = Server.NewBrowserSession();
        var strangerName = fixture.NewUsername("stranger");
        await stranger.SignUpAsync(strangerName, Password);
        var strangerToken = await stranger.CreateTokenAsync("ci", ["repo"]);
        var hops = new[] { $"/api/v3/repos/{owner.Name}/app/tarball/main", $"/{owner.Name}/app/legacy.tar.gz/refs/heads/main", $"/{owner.Name}/app/archive/refs/heads/main.zip" };
        using var curl = Curl();
        foreach (var hop in hops)
        {
            foreach (var credential in new[] { null, Credential("Bearer", strangerToken) })
            {
                using var response = await curl.SendAsync(Get(Server.Url(hop), credential));
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{hop} ({credential?.Scheme ?? "anonymous"}) answered {response.StatusCode}, Location {response.Headers.Location}: {body}");
                Assert.Null(response.Headers.Location);
            }
            // Signed in as someone else, the web link is as absent.
            using var page = await stranger.Http.GetAsync(hop.TrimStart('/'));
            Assert.True(page.StatusCode == HttpStatusCode.NotFound, $"{hop} (stranger's session) answered {page.StatusCode}, Location {page.Headers.Location}");
        }
    }

    [Fact]
    public async Task A_fine_grained_token_needs_contents_read_on_both_hops()
    {
        using var owner = await OwnerAsync("fine");
        using var curl = Curl();
        var metadataOnly = Credential("Bearer", await Server.IssueAsync(owner.Name, RepositoryAccess.Selected, [$"{owner.Name}/app"]));
        var contents = Credential("Bearer", await Server.IssueAsync(owner.Name, RepositoryAccess.Selected, [$"{owner.Name}/app"],
            FineGrainedTokens.Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read))));

        using (var api = await curl.SendAsync(Get(Server.Url($"/api/v3/repos/{owner.Name}/app/tarball/main"), metadataOnly)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
            Assert.Contains("Resource not accessible by personal access token", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var link = Server.Url($"/{owner.Name}/app/legacy.tar.gz/refs/heads/main");
        using (var archive = await curl.SendAsync(Get(link, metadataOnly)))
            Assert.Equal(HttpStatusCode.Forbidden, archive.StatusCode);
        using (var api = await curl.SendAsync(Get(Server.Url($"/api/v3/repos/{owner.Name}/app/tarball/main"), contents)))
            Assert.Equal(HttpStatusCode.Found, api.StatusCode);
        using (var archive = await curl.SendAsync(Get(link, contents)))
            Assert.Equal(HttpStatusCode.OK, archive.StatusCode);
    }

    [Fact]
    public async Task A_public_repository_downloads_anonymously()
    {
        using var owner = await OwnerAsync("open", isPrivate: false);
        using var curl = Curl();
        using var api = await curl.SendAsync(Get(Server.Url($"/api/v3/repos/{owner.Name}/app/tarball/v1.0"), null));
        Assert.True(api.StatusCode == HttpStatusCode.Found, $"The API answered {api.StatusCode}: {await api.Content.ReadAsStringAsync()}");
        using var archive = await curl.SendAsync(Get(api.Headers.Location!.ToString(), null));
        Assert.Equal(HttpStatusCode.OK, archive.StatusCode);
        var entries = TarEntries(Gunzip(await archive.Content.ReadAsByteArrayAsync()));
        var top = $"{owner.Name}-app-{(await ShaAsync(owner, "v1.0"))[..7]}/";
        Assert.Contains(top + "README.md", entries);
        Assert.Contains(top + "src/main.c", entries);
    }

    [Fact]
    public async Task The_web_links_take_the_session_cookie_and_name_file_and_folder_as_github_does()
    {
        using var owner = await OwnerAsync("web");
        var sha = await ShaAsync(owner, "main");
        foreach (var (link, name) in new[]
        {
            ("refs/heads/main.zip", "app-main"), ("main.zip", "app-main"), ("refs/heads/feature/x.zip", "app-feature-x"), ("feature/x.zip", "app-feature-x"),
            ("refs/tags/v1.0.zip", "app-1.0"), ("v1.0.tar.gz", "app-1.0"), ($"{sha}.zip", $"app-{sha}"), ("refs/heads/main.tar.gz", "app-main"),
        })
        {
            using var response = await owner.Web.Http.GetAsync($"{owner.Name}/app/archive/{link}");
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"archive/{link} answered {response.StatusCode}: {Encoding.UTF8.GetString(body)}");
            var zip = link.EndsWith(".zip", StringComparison.Ordinal);
            Assert.Equal($"attachment; filename={name}{(zip ? ".zip" : ".tar.gz")}", response.Content.Headers.ContentDisposition?.ToString());
            var entries = zip ? ZipEntries(body) : TarEntries(Gunzip(body));
            Assert.Contains($"{name}/README.md", entries);
            Assert.All(entries, e => Assert.StartsWith(name + "/", e, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Hostile_and_missing_refs_are_404_and_git_writes_nothing()
    {
        using var owner = await OwnerAsync("hostile");
        var outside = Path.Combine(Path.GetTempPath(), $"latchkey-archive-{Guid.NewGuid():N}");
        string[] refs = [$"--output={outside}", "--output=" + Uri.EscapeDataString(outside), "main..feature", "..%2F..%2Fconfig", "feature%2F..%2F..%2Fx", "main%00", "%00", "main:README.md", "main~1", "HEAD", "no-such-branch", "refs/heads/no-such", "0000000"];
        using var curl = Curl();
        foreach (var gitRef in refs)
        {
            foreach (var path in new[] { $"/api/v3/repos/{owner.Name}/app/tarball/{gitRef}", $"/{owner.Name}/app/legacy.zip/{gitRef}", $"/{owner.Name}/app/archive/{gitRef}.zip" })
            {
                using var response = await curl.SendAsync(Get(Server.Url(path), Credential("Bearer", owner.Token)));
                Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest,
                    $"{path} answered {response.StatusCode}, Location {response.Headers.Location}: {await response.Content.ReadAsStringAsync()}");
                Assert.Null(response.Headers.Location);
            }
        }
        Assert.False(File.Exists(outside) || Directory.Exists(outside), $"git wrote {outside}");
    }

    [Fact]
    public async Task A_revoked_token_and_a_password_are_refused_on_the_archive_hop_as_on_git()
    {
        using var owner = await OwnerAsync("revoked");
        using var curl = Curl();
        var link = Server.Url($"/{owner.Name}/app/legacy.tar.gz/refs/heads/main");

        using (var password = await curl.SendAsync(Get(link, new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{owner.Name}:{Password}"))))))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, password.StatusCode);
            Assert.StartsWith("Password authentication is not supported for Git operations.", await password.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var revoke = await owner.Web.PostFormAsync("/settings/tokens", [], "/settings/tokens?handler=RevokeAll"))
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        using var revoked = await curl.SendAsync(Get(link, Credential("Bearer", owner.Token)));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.StartsWith("Invalid username or token.", await revoked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var api = await curl.SendAsync(Get(Server.Url($"/api/v3/repos/{owner.Name}/app/tarball/main"), Credential("Bearer", owner.Token)));
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Contains("Bad credentials", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Git_is_stopped_when_the_client_goes_away()
    {
        using var owner = await OwnerAsync("gone");
        // Random bytes (nothing to compress): far more than the pipes and buffers between git and the client hold.
        await File.WriteAllBytesAsync(Path.Combine(owner.Checkout, "blob.bin"), RandomNumberGenerator.GetBytes(24 * 1024 * 1024));
        await owner.Git.CommitFileAsync("app", "blob.txt", "a large file beside\n", "Add a large file");
        Assert.True((await owner.Git.PushAsync(owner.Checkout, Server.Url($"/{owner.Name}/app.git"), owner.Name, owner.Token)).Succeeded);

        using (var curl = Curl())
        {
            using var response = await curl.SendAsync(Get(Server.Url($"/{owner.Name}/app/legacy.zip/refs/heads/main"), Credential("Bearer", owner.Token)),
                HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var stream = await response.Content.ReadAsStreamAsync();
            await stream.ReadExactlyAsync(new byte[64 * 1024]);
            Assert.NotEmpty(GitArchives());
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (GitArchives().Count > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Empty(GitArchives());
    }

    /// <summary>Running `git archive` processes of this server's repositories (not zombies).</summary>
    private List<string> GitArchives()
    {
        var repositories = Path.Combine(Server.DataDirectory, "repositories");
        var found = new List<string>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                var commandLine = File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ');
                var directory = new FileInfo(Path.Combine(entry, "cwd")).LinkTarget ?? "";
                if (stat[(stat.LastIndexOf(')') + 2)..] is not ['Z' or 'X', ..] && commandLine.Contains("archive", StringComparison.Ordinal)
                    && directory.StartsWith(repositories, StringComparison.Ordinal))
                    found.Add(commandLine);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while being read.
            }
        }
        return found;
    }

    private static List<string> ZipEntries(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.Select(e => e.FullName).ToList();
    }

    private static List<string> TarEntries(byte[] tar)
    {
        using var reader = new System.Formats.Tar.TarReader(new MemoryStream(tar));
        var names = new List<string>();
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (System.Formats.Tar.TarEntryType.GlobalExtendedAttributes or System.Formats.Tar.TarEntryType.ExtendedAttributes))
                names.Add(entry.Name);
        }
        return names;
    }
}
