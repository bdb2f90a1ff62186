using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Octokit;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.OctokitTests;

/// <summary>Fine-grained tokens through Octokit's own methods: the permission levels decide, exceptions as on GitHub.</summary>
public sealed class OctokitFineGrainedTests
{
    private const string Password = "octokit fine grained passphrase";

    private static GitHubClient Client(LatchkeyServer server, string token) =>
        new(new ProductHeaderValue("latchkey-tests"), server.BaseAddress) { Credentials = new Credentials(token) };

    [Fact]
    public async Task Contents_and_administration_levels_decide_what_octokit_may_do()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("fern", Password);
        await web.CreateRepositoryAsync("garden", isPrivate: true, addReadme: true);
        await web.CreateRepositoryAsync("shed", isPrivate: true, addReadme: true);

        var reader = Client(server, await server.IssueAsync("fern", RepositoryAccess.Selected, ["fern/garden"], Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read))));
        var writer = Client(server, await server.IssueAsync("fern", RepositoryAccess.Selected, ["fern/garden"], Permissions((FineGrainedPermissions.Contents, PermissionLevel.Write))));
        var admin = Client(server, await server.IssueAsync("fern", RepositoryAccess.All, permissions: Permissions((FineGrainedPermissions.Administration, PermissionLevel.Write))));

        // Metadata is always there; contents need Contents.
        Assert.True((await reader.Repository.Get("fern", "garden")).Private);
        Assert.Contains(await reader.Repository.Content.GetAllContents("fern", "garden", "README.md"), c => c.Name == "README.md");
        await Assert.ThrowsAsync<ForbiddenException>(() => admin.Repository.Content.GetAllContents("fern", "garden", "README.md"));

        // Writing needs Contents write.
        await Assert.ThrowsAsync<ForbiddenException>(() => reader.Repository.Content.CreateFile("fern", "garden", "a.txt", new CreateFileRequest("Add a", "a\n")));
        var created = await writer.Repository.Content.CreateFile("fern", "garden", "a.txt", new CreateFileRequest("Add a", "a\n"));
        Assert.Equal("Add a", created.Commit.Message);

        // Outside the selection a private repository does not exist.
        await Assert.ThrowsAsync<NotFoundException>(() => writer.Repository.Get("fern", "shed"));

        // Administration write over all repositories creates and changes repositories.
        await Assert.ThrowsAsync<ForbiddenException>(() => writer.Repository.Create(new NewRepository("nope")));
        var pond = await admin.Repository.Create(new NewRepository("pond") { Private = true });
        Assert.Equal("fern/pond", pond.FullName);
        var updated = await admin.Repository.Edit("fern", "pond", new RepositoryUpdate { Description = "still water" });
        Assert.Equal("still water", updated.Description);
        await Assert.ThrowsAsync<ForbiddenException>(() => writer.Repository.Edit("fern", "garden", new RepositoryUpdate { Description = "no" }));

        // Account permissions: emails need Email addresses.
        await Assert.ThrowsAsync<ForbiddenException>(() => writer.User.Email.GetAll());
        var emails = Client(server, await server.IssueAsync("fern", RepositoryAccess.PublicOnly, permissions: Permissions((FineGrainedPermissions.EmailAddresses, PermissionLevel.Read))));
        Assert.Equal("fern@example.test", Assert.Single(await emails.User.Email.GetAll()).Email);
        Assert.Equal("fern", (await emails.User.Current()).Login);
    }
}
