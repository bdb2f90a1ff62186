using Latchkey.Tests.Support;
using Octokit;

namespace Latchkey.OctokitTests;

/// <summary>A collaborator invited through Octokit accepts with a repo:invite token, then pushes with git.</summary>
public sealed class OctokitCollaboratorTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "octokit collaborator passphrase";
    private LatchkeyServer Server => fixture.Server;

    private GitHubClient Client(string token) => new(new ProductHeaderValue("latchkey-tests"), Server.BaseAddress) { Credentials = new Credentials(token) };

    [Fact]
    public async Task An_invited_collaborator_accepts_and_then_pushes_with_their_own_token()
    {
        var owner = fixture.NewUsername("lead");
        var helper = fixture.NewUsername("helper");
        using var ownerWeb = Server.NewBrowserSession();
        await ownerWeb.SignUpAsync(owner, Password);
        var ownerClient = Client(await ownerWeb.CreateTokenAsync("octokit", ["repo"]));
        using var helperWeb = Server.NewBrowserSession();
        await helperWeb.SignUpAsync(helper, Password);
        var helperGit = await helperWeb.CreateTokenAsync("git", ["repo"]);
        var helperInvites = Client(await helperWeb.CreateTokenAsync("invites only", ["repo:invite"]));

        await ownerClient.Repository.Create(new NewRepository("shared") { Private = true, AutoInit = true });
        using var git = new GitClient();
        var url = Server.Url($"/{owner}/shared.git");

        // Before the invitation is accepted the private repository does not exist for the helper.
        var before = await git.CloneAsync(url, "before", helper, helperGit);
        Assert.False(before.Succeeded, before.ToString());
        Assert.Contains("Repository not found", before.Error, StringComparison.Ordinal);

        var invitation = await ownerClient.Repository.Collaborator.Add(owner, "shared", helper, new CollaboratorRequest("push"));
        Assert.Equal(helper, invitation.Invitee.Login);
        Assert.Equal(owner, invitation.Inviter.Login);

        // repo:invite is enough to see and accept invitations, but not to read code.
        var pending = await helperInvites.Repository.Invitation.GetAllForCurrent();
        var mine = Assert.Single(pending);
        Assert.Equal($"{owner}/shared", mine.Repository.FullName);
        Assert.True(await helperInvites.Repository.Invitation.Accept(mine.Id));
        Assert.Empty(await helperInvites.Repository.Invitation.GetAllForCurrent());
        await Assert.ThrowsAsync<NotFoundException>(() => helperInvites.Repository.Get(owner, "shared"));

        var collaborators = await ownerClient.Repository.Collaborator.GetAll(owner, "shared");
        Assert.Equal([helper, owner], collaborators.Select(c => c.Login).Order(StringComparer.Ordinal).ToArray());

        // Now the helper clones and pushes with their own token.
        var clone = await git.CloneAsync(url, "shared", helper, helperGit);
        Assert.True(clone.Succeeded, clone.ToString());
        await git.CommitFileAsync("shared", "help.txt", "help\n", "Help out");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "shared"), url, helper, helperGit, "HEAD:main");
        Assert.True(push.Succeeded, push.ToString());
        var file = Assert.Single(await ownerClient.Repository.Content.GetAllContents(owner, "shared", "help.txt"));
        Assert.Equal("help\n", file.Content);

        // A push collaborator may not administer or delete.
        var helperClient = Client(helperGit);
        await Assert.ThrowsAsync<ForbiddenException>(() => helperClient.Repository.Collaborator.Add(owner, "shared", owner, new CollaboratorRequest("admin")));

        // Removed, the helper loses access at once.
        await ownerClient.Repository.Collaborator.Delete(owner, "shared", helper);
        var after = await git.CloneAsync(url, "after", helper, helperGit);
        Assert.False(after.Succeeded, after.ToString());
    }

    [Fact]
    public async Task A_read_collaborator_clones_but_cannot_push()
    {
        var owner = fixture.NewUsername("keeper");
        var reader = fixture.NewUsername("reader");
        using var ownerWeb = Server.NewBrowserSession();
        await ownerWeb.SignUpAsync(owner, Password);
        var ownerClient = Client(await ownerWeb.CreateTokenAsync("octokit", ["repo"]));
        using var readerWeb = Server.NewBrowserSession();
        await readerWeb.SignUpAsync(reader, Password);
        var readerToken = await readerWeb.CreateTokenAsync("git", ["repo"]);

        await ownerClient.Repository.Create(new NewRepository("vault") { Private = true, AutoInit = true });
        await ownerClient.Repository.Collaborator.Add(owner, "vault", reader, new CollaboratorRequest("pull"));
        var readerClient = Client(readerToken);
        var invitation = Assert.Single(await readerClient.Repository.Invitation.GetAllForCurrent());
        Assert.Equal(InvitationPermissionType.Read, invitation.Permissions.Value);
        Assert.True(await readerClient.Repository.Invitation.Accept(invitation.Id));

        using var git = new GitClient();
        var url = Server.Url($"/{owner}/vault.git");
        Assert.True((await git.CloneAsync(url, "vault", reader, readerToken)).Succeeded);
        await git.CommitFileAsync("vault", "x.txt", "x\n", "Try");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "vault"), url, reader, readerToken, "HEAD:main");
        Assert.False(push.Succeeded, push.ToString());
        Assert.Contains($"Permission to {owner}/vault.git denied to {reader}.", push.Error, StringComparison.Ordinal);
    }
}
