using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>Collaborators on the web: Settings → Collaborators invites, the dashboard accepts, git then pushes.</summary>
public sealed class CollaboratorWebTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "collaborator web passphrase";
    private LatchkeyServer Server => fixture.Server;

    [Fact]
    public async Task An_owner_invites_on_the_settings_page_and_the_invitee_accepts_on_the_dashboard()
    {
        var owner = fixture.NewUsername("host");
        var guest = fixture.NewUsername("guest");
        using var ownerWeb = Server.NewBrowserSession();
        await ownerWeb.SignUpAsync(owner, Password);
        await ownerWeb.CreateRepositoryAsync("project", isPrivate: true, addReadme: true);
        using var guestWeb = Server.NewBrowserSession();
        await guestWeb.SignUpAsync(guest, Password);
        var guestToken = await guestWeb.CreateTokenAsync("git", ["repo"]);

        using (var unknown = await ownerWeb.PostFormAsync($"/{owner}/project/settings", [new("username", "nobody-here"), new("role", "push")], $"/{owner}/project/settings?handler=Invite"))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
            Assert.Contains("There is no user named nobody-here.", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var invite = await ownerWeb.PostFormAsync($"/{owner}/project/settings", [new("username", guest), new("role", "push")], $"/{owner}/project/settings?handler=Invite"))
            Assert.Equal(HttpStatusCode.Redirect, invite.StatusCode);
        var (_, settings) = await ownerWeb.GetAsync($"/{owner}/project/settings");
        Assert.Contains($"data-invitation=\"{guest}\"", settings, StringComparison.Ordinal);

        // The guest may not administer the repository: its settings are not theirs to see.
        Assert.Equal(HttpStatusCode.NotFound, (await guestWeb.GetAsync($"/{owner}/project/settings")).Status);

        var (_, dashboard) = await guestWeb.GetAsync("/");
        Assert.Contains($"invited you to collaborate on <strong>{owner}/project</strong>", dashboard, StringComparison.Ordinal);
        var id = Regex.Match(dashboard, "action=\"/\\?id=(\\d+)&amp;handler=Accept\"").Groups[1].Value;
        Assert.True(id.Length > 0, "No Accept button on the dashboard");
        using (var accept = await guestWeb.PostFormAsync("/", [], $"/?handler=Accept&id={id}"))
            Assert.Equal(HttpStatusCode.Redirect, accept.StatusCode);
        var (_, after) = await guestWeb.GetAsync("/");
        Assert.Contains($"/{owner}/project", after, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await guestWeb.GetAsync($"/{owner}/project")).Status);

        using var git = new GitClient();
        var url = Server.Url($"/{owner}/project.git");
        Assert.True((await git.CloneAsync(url, "project", guest, guestToken)).Succeeded);
        await git.CommitFileAsync("project", "guest.txt", "hello\n", "Guest commit");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "project"), url, guest, guestToken, "HEAD:main");
        Assert.True(push.Succeeded, push.ToString());

        using (var remove = await ownerWeb.PostFormAsync($"/{owner}/project/settings", [new("username", guest)], $"/{owner}/project/settings?handler=Remove"))
            Assert.Equal(HttpStatusCode.Redirect, remove.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await guestWeb.GetAsync($"/{owner}/project")).Status);
    }
}
