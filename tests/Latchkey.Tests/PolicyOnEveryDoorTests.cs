using System.Net;
using System.Text;
using Latchkey.Accounts;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>
/// The decisions that used to be made outside AccessPolicy (answering invitations, changing
/// visibility, granting site_admin) now come from it, whichever door asks.
/// </summary>
public sealed class PolicyOnEveryDoorTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private LatchkeyServer Server => fixture.Server;

    [Fact]
    public async Task Site_admin_is_refused_to_a_non_administrator_by_the_issuer_itself_and_granted_to_an_administrator()
    {
        var admin = fixture.NewUsername("root");
        var plain = fixture.NewUsername("plain");
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(admin, "policy doors passphrase");
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(plain, "policy doors passphrase");

        using var scope = Server.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<User>>();
        var issuer = scope.ServiceProvider.GetRequiredService<TokenIssuer>();
        var plainUser = (await users.FindByNameAsync(plain))!;
        // The fixture's first account (whoever signed up first) is the administrator; make sure ours is one.
        var adminUser = (await users.FindByNameAsync(admin))!;
        adminUser.IsSiteAdmin = true;
        await users.UpdateAsync(adminUser);

        var refused = await issuer.CreateClassicAsync(plainUser, "sneaky", ["repo", "site_admin"], null, CancellationToken.None);
        Assert.Null(refused.Token);
        Assert.Equal("Only site administrators may grant the site_admin scope.", refused.Error);
        Assert.Empty(await issuer.ListAsync(plainUser.Id, TokenKind.Classic, CancellationToken.None));

        var (token, _, error) = await issuer.CreateClassicAsync(plainUser, "ordinary", ["repo"], null, CancellationToken.None);
        Assert.Null(error);
        Assert.Equal("Only site administrators may grant the site_admin scope.", await issuer.UpdateAsync(plainUser, token!.Id, "ordinary", ["site_admin"], CancellationToken.None));
        Assert.Equal(["repo"], (await issuer.FindAsync(plainUser.Id, token.Id, CancellationToken.None))!.ScopeList);

        var granted = await issuer.CreateClassicAsync(adminUser, "admin", ["site_admin"], null, CancellationToken.None);
        Assert.Null(granted.Error);
        Assert.Equal(["site_admin"], granted.Token!.ScopeList);
    }

    [Fact]
    public async Task A_fine_grained_token_cannot_answer_invitations_and_a_classic_one_with_repo_invite_can()
    {
        var owner = fixture.NewUsername("owner");
        var invitee = fixture.NewUsername("invitee");
        using (var web = Server.NewBrowserSession())
        {
            await web.SignUpAsync(owner, "policy doors passphrase");
            await web.CreateRepositoryAsync("shared", isPrivate: true, addReadme: true);
        }
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(invitee, "policy doors passphrase");
        var ownerToken = await Server.IssueClassicAsync(owner, ["repo"]);
        using (var invite = await SendAsync(HttpMethod.Put, $"repos/{owner}/shared/collaborators/{invitee}", ownerToken, "{\"permission\":\"push\"}"))
            Assert.Equal(HttpStatusCode.Created, invite.StatusCode);

        var fineGrained = await Server.IssueAsync(invitee, RepositoryAccess.All, permissions: FineGrainedTokens.Permissions(
            (FineGrainedPermissions.Contents, PermissionLevel.Write), (FineGrainedPermissions.Administration, PermissionLevel.Write)));
        using (var list = await SendAsync(HttpMethod.Get, "user/repository_invitations", fineGrained))
        {
            var body = await list.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
            Assert.Contains("Fine-grained personal access tokens cannot answer repository invitations", body, StringComparison.Ordinal);
        }

        var classic = await Server.IssueClassicAsync(invitee, ["repo:invite"]);
        using var mine = await SendAsync(HttpMethod.Get, "user/repository_invitations", classic);
        var invitations = System.Text.Json.JsonDocument.Parse(await mine.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        var id = Assert.Single(invitations.EnumerateArray()).GetProperty("id").GetInt64();
        using (var refusedAnswer = await SendAsync(HttpMethod.Patch, $"user/repository_invitations/{id}", fineGrained))
            Assert.Equal(HttpStatusCode.Forbidden, refusedAnswer.StatusCode);
        using (var accepted = await SendAsync(HttpMethod.Patch, $"user/repository_invitations/{id}", classic))
            Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
    }

    [Fact]
    public async Task Making_a_public_repository_private_needs_repo_and_public_repo_is_told_so()
    {
        var owner = fixture.NewUsername("vis");
        using (var web = Server.NewBrowserSession())
        {
            await web.SignUpAsync(owner, "policy doors passphrase");
            await web.CreateRepositoryAsync("open", isPrivate: false, addReadme: true);
        }
        var publicRepo = await Server.IssueClassicAsync(owner, ["public_repo"]);
        using (var describe = await SendAsync(HttpMethod.Patch, $"repos/{owner}/open", publicRepo, "{\"description\":\"still public\"}"))
            Assert.Equal(HttpStatusCode.OK, describe.StatusCode);
        using (var hide = await SendAsync(HttpMethod.Patch, $"repos/{owner}/open", publicRepo, "{\"private\":true}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, hide.StatusCode);
            Assert.Contains("needs the repo scope", await hide.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var repo = await Server.IssueClassicAsync(owner, ["repo"]);
        using var hidden = await SendAsync(HttpMethod.Patch, $"repos/{owner}/open", repo, "{\"private\":true}");
        Assert.Equal(HttpStatusCode.OK, hidden.StatusCode);
        Assert.Contains("\"private\":true", await hidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, string? body = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, Server.Url("api/v3/" + path));
        request.Headers.TryAddWithoutValidation("Authorization", "token " + token);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
