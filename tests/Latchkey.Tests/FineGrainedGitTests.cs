using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.Tests;

/// <summary>
/// Fine-grained tokens over git: a token reaches only its repositories (a private one outside them is
/// "not found"), Contents read clones, Contents write pushes, and on a repository shared with its owner
/// the collaborator's own permission still caps what the token does.
/// </summary>
public sealed class FineGrainedGitTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "fine grained git passphrase";
    private LatchkeyServer Server => fixture.Server;

    private static readonly Dictionary<string, PermissionLevel> ContentsWrite = Permissions((FineGrainedPermissions.Contents, PermissionLevel.Write));
    private static readonly Dictionary<string, PermissionLevel> ContentsRead = Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read));

    private async Task<string> OwnerWithRepositoriesAsync(string stem)
    {
        var owner = fixture.NewUsername(stem);
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(owner, Password);
        await web.CreateRepositoryAsync("a", isPrivate: true, addReadme: true);
        await web.CreateRepositoryAsync("b", isPrivate: true, addReadme: true);
        await web.CreateRepositoryAsync("c", isPrivate: false, addReadme: true);
        return owner;
    }

    [Fact]
    public async Task A_token_for_repository_a_clones_and_pushes_a_cannot_see_private_b_and_reads_public_c()
    {
        var owner = await OwnerWithRepositoriesAsync("selected");
        var token = await Server.IssueAsync(owner, RepositoryAccess.Selected, [$"{owner}/a"], ContentsWrite);
        using var git = new GitClient();

        var a = await git.CloneAsync(Server.Url($"/{owner}/a.git"), "a", owner, token);
        Assert.True(a.Succeeded, a.ToString());
        await git.CommitFileAsync("a", "change.txt", "through a fine-grained token\n", "Change");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "a"), Server.Url($"/{owner}/a.git"), owner, token);
        Assert.True(push.Succeeded, push.ToString());

        var b = await git.CloneAsync(Server.Url($"/{owner}/b.git"), "b", owner, token);
        Assert.False(b.Succeeded, "a private repository outside the token's selection was cloned");
        Assert.Contains("Repository not found", b.Error, StringComparison.Ordinal);

        var c = await git.CloneAsync(Server.Url($"/{owner}/c.git"), "c", owner, token);
        Assert.True(c.Succeeded, "a public repository must stay readable:\n" + c);
        await git.CommitFileAsync("c", "change.txt", "not allowed\n", "Change");
        var pushC = await git.PushAsync(Path.Combine(git.WorkDirectory, "c"), Server.Url($"/{owner}/c.git"), owner, token);
        Assert.False(pushC.Succeeded, "the token pushed to a repository outside its selection");
        Assert.Contains($"Permission to {owner}/c.git denied", pushC.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_contents_read_token_clones_but_its_push_is_refused_naming_the_permission()
    {
        var owner = await OwnerWithRepositoriesAsync("reader");
        var token = await Server.IssueAsync(owner, RepositoryAccess.Selected, [$"{owner}/a"], ContentsRead);
        using var git = new GitClient();

        var clone = await git.CloneAsync(Server.Url($"/{owner}/a.git"), "a", owner, token);
        Assert.True(clone.Succeeded, clone.ToString());
        await git.CommitFileAsync("a", "change.txt", "read-only token\n", "Change");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "a"), Server.Url($"/{owner}/a.git"), owner, token);
        Assert.False(push.Succeeded, "a Contents read-only token pushed");
        Assert.Contains("Contents: Read and write", push.Error, StringComparison.Ordinal);

        var log = (await LogOfAsync(owner)).Body;
        Assert.Contains("the token lacks the Contents: Read and write permission", log, StringComparison.Ordinal);
    }

    private async Task<(System.Net.HttpStatusCode Status, string Body)> LogOfAsync(string owner)
    {
        using var web = Server.NewBrowserSession();
        await web.SignInAsync(owner, Password);
        return await web.GetAsync("/settings/security-log");
    }

    [Fact]
    public async Task A_token_without_contents_permission_sees_the_repository_but_cannot_clone_it()
    {
        var owner = await OwnerWithRepositoriesAsync("metadata");
        var token = await Server.IssueAsync(owner, RepositoryAccess.Selected, [$"{owner}/a"]);
        using var git = new GitClient();
        var clone = await git.CloneAsync(Server.Url($"/{owner}/a.git"), "a", owner, token);
        Assert.False(clone.Succeeded, "a token without Contents cloned a private repository");
        Assert.Contains("Contents: Read-only", clone.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_repositories_token_reads_public_code_and_nothing_private_and_writes_nothing()
    {
        var owner = await OwnerWithRepositoriesAsync("public");
        // Even asked for Contents write, a public-repositories token holds no repository permission.
        var token = await Server.IssueAsync(owner, RepositoryAccess.PublicOnly, permissions: ContentsWrite);
        using var git = new GitClient();
        Assert.True((await git.CloneAsync(Server.Url($"/{owner}/c.git"), "c", owner, token)).Succeeded);
        Assert.Contains("Repository not found", (await git.CloneAsync(Server.Url($"/{owner}/a.git"), "a", owner, token)).Error, StringComparison.Ordinal);
        await git.CommitFileAsync("c", "change.txt", "no\n", "Change");
        Assert.False((await git.PushAsync(Path.Combine(git.WorkDirectory, "c"), Server.Url($"/{owner}/c.git"), owner, token)).Succeeded);
    }

    [Fact]
    public async Task A_collaborators_token_works_on_the_shared_repository_within_the_collaborators_permission()
    {
        var owner = await OwnerWithRepositoriesAsync("sharer");
        var writer = fixture.NewUsername("writer");
        var reader = fixture.NewUsername("reader");
        foreach (var name in new[] { writer, reader })
        {
            using var signup = Server.NewBrowserSession();
            await signup.SignUpAsync(name, Password);
        }
        await AddCollaboratorAsync(owner, "a", writer, "push");
        await AddCollaboratorAsync(owner, "a", reader, "pull");

        using var git = new GitClient();
        // All repositories includes the ones shared with the token's owner (unlike GitHub's tokens).
        var writerToken = await Server.IssueAsync(writer, RepositoryAccess.All, permissions: ContentsWrite);
        var clone = await git.CloneAsync(Server.Url($"/{owner}/a.git"), "w", writer, writerToken);
        Assert.True(clone.Succeeded, clone.ToString());
        await git.CommitFileAsync("w", "from-writer.txt", "collaborator\n", "From the collaborator");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "w"), Server.Url($"/{owner}/a.git"), writer, writerToken);
        Assert.True(push.Succeeded, push.ToString());

        // Selected works the same way; b is not shared with the writer, so it stays invisible.
        var selected = await Server.IssueAsync(writer, RepositoryAccess.Selected, [$"{owner}/a"], ContentsRead);
        Assert.True((await git.CloneAsync(Server.Url($"/{owner}/a.git"), "w2", writer, selected)).Succeeded);
        Assert.Contains("Repository not found", (await git.CloneAsync(Server.Url($"/{owner}/b.git"), "wb", writer, writerToken)).Error, StringComparison.Ordinal);

        // A read collaborator's token with Contents write still cannot push: the collaborator permission caps it.
        var readerToken = await Server.IssueAsync(reader, RepositoryAccess.All, permissions: ContentsWrite);
        Assert.True((await git.CloneAsync(Server.Url($"/{owner}/a.git"), "r", reader, readerToken)).Succeeded);
        await git.CommitFileAsync("r", "from-reader.txt", "no\n", "From the reader");
        var refused = await git.PushAsync(Path.Combine(git.WorkDirectory, "r"), Server.Url($"/{owner}/a.git"), reader, readerToken);
        Assert.False(refused.Succeeded, "a read collaborator pushed");
        Assert.Contains($"Permission to {owner}/a.git denied to {reader}.", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Contents: Read and write", refused.Error, StringComparison.Ordinal);
    }

    private async Task AddCollaboratorAsync(string owner, string repo, string who, string permission)
    {
        using var scope = Server.Services.CreateScope();
        var services = scope.ServiceProvider;
        var repository = await services.GetRequiredService<Latchkey.Repositories.RepositoryService>().FindAsync(owner, repo, CancellationToken.None);
        var users = services.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Latchkey.Accounts.User>>();
        var inviter = await users.FindByNameAsync(owner);
        var invitee = await users.FindByNameAsync(who);
        var role = permission == "push" ? Latchkey.Repositories.CollaboratorRole.Push : Latchkey.Repositories.CollaboratorRole.Pull;
        var collaborators = services.GetRequiredService<Latchkey.Repositories.RepositoryCollaborators>();
        var (_, invitation) = await collaborators.InviteAsync(repository!, inviter!, who, role, CancellationToken.None);
        Assert.True(await collaborators.AnswerAsync(invitee!.Id, invitation!.Id, accept: true, CancellationToken.None));
    }

    [Fact]
    public async Task Removing_a_collaborator_takes_the_repository_out_of_their_tokens_for_good()
    {
        var owner = await OwnerWithRepositoriesAsync("remover");
        var guest = fixture.NewUsername("guest");
        using (var signup = Server.NewBrowserSession())
            await signup.SignUpAsync(guest, Password);
        await AddCollaboratorAsync(owner, "a", guest, "push");
        var token = await Server.IssueAsync(guest, RepositoryAccess.Selected, [$"{owner}/a"], ContentsRead);
        using var git = new GitClient();
        Assert.True((await git.CloneAsync(Server.Url($"/{owner}/a.git"), "before", guest, token)).Succeeded);

        using (var scope = Server.Services.CreateScope())
        {
            var repository = await scope.ServiceProvider.GetRequiredService<Latchkey.Repositories.RepositoryService>().FindAsync(owner, "a", CancellationToken.None);
            Assert.True(await scope.ServiceProvider.GetRequiredService<Latchkey.Repositories.RepositoryCollaborators>().RemoveAsync(repository!, guest, CancellationToken.None));
        }
        Assert.Contains("Repository not found", (await git.CloneAsync(Server.Url($"/{owner}/a.git"), "removed", guest, token)).Error, StringComparison.Ordinal);

        // Invited again later, the guest works with new tokens; the old token's selection stays empty.
        await AddCollaboratorAsync(owner, "a", guest, "push");
        Assert.Contains("Repository not found", (await git.CloneAsync(Server.Url($"/{owner}/a.git"), "again", guest, token)).Error, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("fine-grained-git-tests");
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        var self = await http.GetStringAsync("api/v3/user/token");
        Assert.DoesNotContain($"{owner}/a", self, StringComparison.Ordinal);
    }
}
