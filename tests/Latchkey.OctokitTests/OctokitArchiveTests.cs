using System.IO.Compression;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Octokit;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.OctokitTests;

/// <summary>
/// Octokit's GetArchive follows the API's redirect to the archive with its token (same host), and what
/// it gets of a private repository is exactly what git archive makes of the same commit.
/// </summary>
public sealed class OctokitArchiveTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "octokit archive passphrase";
    private LatchkeyServer Server => fixture.Server;

    private GitHubClient Client(string token) =>
        new(new ProductHeaderValue("latchkey-tests"), Server.BaseAddress) { Credentials = new Credentials(token) };

    /// <summary>A private repository "vault" with two commits on main, its owner's classic token and a clone.</summary>
    private async Task<(string Owner, string Token, GitClient Git, string Checkout)> PrivateRepositoryAsync(string stem)
    {
        var owner = fixture.NewUsername(stem);
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(owner, Password);
        await web.CreateRepositoryAsync("vault", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("octokit", ["repo"]);
        var git = new GitClient();
        var clone = await git.CloneAsync(Server.Url($"/{owner}/vault.git"), "vault", owner, token);
        Assert.True(clone.Succeeded, clone.ToString());
        var checkout = Path.Combine(git.WorkDirectory, "vault");
        await git.CommitFileAsync("vault", "docs/notes.md", "# Notes\n\nKept private.\n", "Add notes");
        Assert.True((await git.PushAsync(checkout, Server.Url($"/{owner}/vault.git"), owner, token)).Succeeded);
        return (owner, token, git, checkout);
    }

    private static async Task AssertMatchesGitArchiveAsync(GitHubClient client, string owner, GitClient git, string checkout)
    {
        var commit = (await git.RunAsync(checkout, null, null, "rev-parse", "main")).Output.Trim();
        var prefix = $"{owner}-vault-{commit[..7]}/";
        foreach (var (format, gitFormat) in new[] { (ArchiveFormat.Tarball, "tar.gz"), (ArchiveFormat.Zipball, "zip") })
        {
            var downloaded = await client.Repository.Content.GetArchive(owner, "vault", format, "main");
            var file = Path.Combine(git.WorkDirectory, "expected." + gitFormat);
            var run = await git.RunAsync(checkout, null, null, "archive", "--format=" + gitFormat, "--prefix=" + prefix, "-o", file, commit);
            Assert.True(run.Succeeded, run.ToString());
            var expected = await File.ReadAllBytesAsync(file);
            // gzip headers may differ between two compressions of the same bytes; the tar inside may not.
            Assert.True(format == ArchiveFormat.Tarball ? Gunzip(expected).SequenceEqual(Gunzip(downloaded)) : expected.SequenceEqual(downloaded),
                $"The {format} of {owner}/vault ({downloaded.Length} bytes) differs from git archive of {commit} ({expected.Length} bytes)");
        }
    }

    private static byte[] Gunzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    [Fact]
    public async Task A_classic_token_downloads_tarball_and_zipball_of_a_private_repository_byte_for_byte()
    {
        var (owner, token, git, checkout) = await PrivateRepositoryAsync("classic");
        using var _ = git;
        await AssertMatchesGitArchiveAsync(Client(token), owner, git, checkout);
        // The archive hop is as private as the repository: Octokit got it because it kept the token on the redirect.
        using var anonymous = new HttpClient();
        using var hop = await anonymous.GetAsync(Server.Url($"/{owner}/vault/legacy.tar.gz/refs/heads/main"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, hop.StatusCode);
    }

    [Fact]
    public async Task A_fine_grained_contents_read_token_downloads_them_too()
    {
        var (owner, _, git, checkout) = await PrivateRepositoryAsync("fine");
        using var __ = git;
        var token = await Server.IssueAsync(owner, RepositoryAccess.Selected, [$"{owner}/vault"], Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)));
        await AssertMatchesGitArchiveAsync(Client(token), owner, git, checkout);
    }

    [Fact]
    public async Task A_token_without_access_gets_not_found()
    {
        var (owner, _, git, _) = await PrivateRepositoryAsync("guarded");
        using var __ = git;
        var stranger = fixture.NewUsername("stranger");
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(stranger, Password);
        var classic = await Server.IssueClassicAsync(stranger, ["repo"]);
        var fineGrained = await Server.IssueAsync(stranger, RepositoryAccess.All, permissions: Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)));
        // The owner's own fine-grained token, for other repositories only.
        using (var web = Server.NewBrowserSession())
        {
            await web.SignInAsync(owner, Password);
            await web.CreateRepositoryAsync("other", isPrivate: true, addReadme: true);
        }
        var elsewhere = await Server.IssueAsync(owner, RepositoryAccess.Selected, [$"{owner}/other"], Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)));
        foreach (var token in new[] { classic, fineGrained, elsewhere })
        {
            foreach (var format in new[] { ArchiveFormat.Tarball, ArchiveFormat.Zipball })
                await Assert.ThrowsAsync<NotFoundException>(() => Client(token).Repository.Content.GetArchive(owner, "vault", format, "main"));
        }
    }
}
