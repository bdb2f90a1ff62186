using System.Text.Json;
using System.Text.Json.Serialization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Api;

/// <summary>Collaborators and their invitations, as on GitHub: an administrator invites, the invitee accepts.</summary>
public static class CollaboratorApi
{
    public sealed record AddCollaborator([property: JsonPropertyName("permission")] string? Permission);

    public sealed record InvitationDto(
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("node_id")] string NodeId,
        [property: JsonPropertyName("repository")] RepositoryDto Repository,
        [property: JsonPropertyName("invitee")] SimpleUserDto Invitee,
        [property: JsonPropertyName("inviter")] SimpleUserDto Inviter,
        [property: JsonPropertyName("permissions")] string Permissions,
        [property: JsonPropertyName("created_at")] DateTime CreatedAt,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("html_url")] string HtmlUrl);

    public sealed record CollaboratorDto(
        [property: JsonPropertyName("login")] string Login,
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("node_id")] string NodeId,
        [property: JsonPropertyName("avatar_url")] string AvatarUrl,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("html_url")] string HtmlUrl,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("site_admin")] bool SiteAdmin,
        [property: JsonPropertyName("role_name")] string RoleName,
        [property: JsonPropertyName("permissions")] PermissionsDto Permissions);

    public static RouteGroupBuilder MapCollaboratorApi(this RouteGroupBuilder api)
    {
        api.MapGet("/repos/{owner}/{repo}/collaborators", ListAsync).WithMetadata(new AcceptedScopes(Scopes.Repo));
        api.MapPut("/repos/{owner}/{repo}/collaborators/{username}", InviteAsync).WithMetadata(new AcceptedScopes(Scopes.Repo));
        api.MapDelete("/repos/{owner}/{repo}/collaborators/{username}", RemoveAsync).WithMetadata(new AcceptedScopes(Scopes.Repo));
        api.MapGet("/user/repository_invitations", MyInvitationsAsync).WithMetadata(new AcceptedScopes(Scopes.RepoInvite));
        api.MapPatch("/user/repository_invitations/{id:long}", (HttpContext c, long id, LatchkeyDb db, TimeProvider clock) => AnswerAsync(c, id, accept: true, db, clock))
            .WithMetadata(new AcceptedScopes(Scopes.RepoInvite));
        api.MapDelete("/user/repository_invitations/{id:long}", (HttpContext c, long id, LatchkeyDb db, TimeProvider clock) => AnswerAsync(c, id, accept: false, db, clock))
            .WithMetadata(new AcceptedScopes(Scopes.RepoInvite));
        return api;
    }

    private static async Task<IResult> ListAsync(HttpContext context, string owner, string repo, RepositoryService repositories, LatchkeyDb db)
    {
        // GitHub lists collaborators to those who may push.
        var (found, refusal) = await RepositoryApi.FindAsync(context, owner, repo, RepoAction.Write, repositories);
        if (refusal is not null)
            return refusal;
        var urls = ApiUrls.Of(context.Request);
        var people = await db.Collaborators.AsNoTracking().Include(c => c.User).Where(c => c.RepositoryId == found!.Id).ToListAsync(context.RequestAborted);
        var list = new List<CollaboratorDto> { Dto(found!.Owner!, "admin", new PermissionsDto(true, true, true), urls) };
        list.AddRange(people.Select(c => Dto(c.User!, RepositoryInvitation.Describe(c.Permission),
            new PermissionsDto(c.Permission == CollaboratorRole.Admin, c.Permission != CollaboratorRole.Pull, true), urls)));
        return Results.Json(list);
    }

    private static async Task<IResult> InviteAsync(HttpContext context, string owner, string repo, string username,
        RepositoryService repositories, LatchkeyDb db, TimeProvider clock)
    {
        var (found, refusal) = await RepositoryApi.FindAsync(context, owner, repo, RepoAction.Admin, repositories);
        if (refusal is not null)
            return refusal;
        AddCollaborator? body = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                body = await JsonSerializer.DeserializeAsync<AddCollaborator>(context.Request.Body, cancellationToken: context.RequestAborted);
            }
            catch (JsonException)
            {
                return ApiErrors.Result(StatusCodes.Status400BadRequest, "Problems parsing JSON");
            }
        }
        if (RepositoryInvitation.Parse(body?.Permission) is not { } permission)
            return ApiErrors.Validation(new ApiErrors.FieldError("Collaborator", "permission", "invalid", "permission must be pull, push or admin."));
        var normalized = UsernameRules.Normalize(username);
        var invitee = await db.Users.SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, context.RequestAborted);
        if (invitee is null)
            return ApiErrors.NotFound();
        if (invitee.Id == found!.OwnerId)
            return ApiErrors.Validation(new ApiErrors.FieldError("Collaborator", "username", "invalid", "The owner is not a collaborator of their own repository."));

        if (found.Collaborators.FirstOrDefault(c => c.UserId == invitee.Id) is { } existing)
        {
            existing.Permission = permission;
            await db.SaveChangesAsync(context.RequestAborted);
            return Results.NoContent();
        }
        var caller = ApiGate.CallerOf(context);
        var invitation = await db.Invitations.SingleOrDefaultAsync(i => i.RepositoryId == found.Id && i.InviteeId == invitee.Id, context.RequestAborted);
        if (invitation is null)
        {
            invitation = new RepositoryInvitation { RepositoryId = found.Id, InviteeId = invitee.Id, InviterId = caller.User!.Id, CreatedAt = clock.GetUtcNow().UtcDateTime };
            db.Invitations.Add(invitation);
        }
        invitation.Permission = permission;
        await db.SaveChangesAsync(context.RequestAborted);
        invitation.Repository = found;
        invitation.Invitee = invitee;
        invitation.Inviter = caller.User!;
        return Results.Json(ToDto(invitation, caller, ApiUrls.Of(context.Request)), statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> RemoveAsync(HttpContext context, string owner, string repo, string username, RepositoryService repositories, LatchkeyDb db)
    {
        var (found, refusal) = await RepositoryApi.FindAsync(context, owner, repo, RepoAction.Admin, repositories);
        if (refusal is not null)
            return refusal;
        var normalized = UsernameRules.Normalize(username);
        var userId = await db.Users.Where(u => u.NormalizedUserName == normalized).Select(u => (long?)u.Id).SingleOrDefaultAsync(context.RequestAborted);
        if (userId is null)
            return ApiErrors.NotFound();
        await db.Collaborators.Where(c => c.RepositoryId == found!.Id && c.UserId == userId).ExecuteDeleteAsync(context.RequestAborted);
        await db.Invitations.Where(i => i.RepositoryId == found!.Id && i.InviteeId == userId).ExecuteDeleteAsync(context.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> MyInvitationsAsync(HttpContext context, LatchkeyDb db)
    {
        var caller = ApiGate.CallerOf(context);
        if (ApiGate.RequireUser(caller) is { } refusal)
            return refusal;
        if (!MayAnswerInvitations(caller))
            return ApiErrors.Result(StatusCodes.Status403Forbidden, "This request needs the repo:invite scope; the token does not have it.");
        var invitations = await Invitations(db).Where(i => i.InviteeId == caller.User!.Id).ToListAsync(context.RequestAborted);
        var urls = ApiUrls.Of(context.Request);
        return Results.Json(invitations.Select(i => ToDto(i, caller, urls)).ToList());
    }

    private static async Task<IResult> AnswerAsync(HttpContext context, long id, bool accept, LatchkeyDb db, TimeProvider clock)
    {
        var caller = ApiGate.CallerOf(context);
        if (ApiGate.RequireUser(caller) is { } refusal)
            return refusal;
        if (!MayAnswerInvitations(caller))
            return ApiErrors.Result(StatusCodes.Status403Forbidden, "This request needs the repo:invite scope; the token does not have it.");
        var invitation = await db.Invitations.SingleOrDefaultAsync(i => i.Id == id && i.InviteeId == caller.User!.Id, context.RequestAborted);
        if (invitation is null)
            return ApiErrors.NotFound();
        if (accept)
        {
            db.Collaborators.Add(new Collaborator
            {
                RepositoryId = invitation.RepositoryId,
                UserId = invitation.InviteeId,
                Permission = invitation.Permission,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            });
        }
        db.Invitations.Remove(invitation);
        await db.SaveChangesAsync(context.RequestAborted);
        return Results.NoContent();
    }

    /// <summary>Answering invitations needs no access to code: repo:invite (or repo, its parent) is enough.</summary>
    private static bool MayAnswerInvitations(Caller caller) =>
        caller.Credential == CredentialKind.Session || caller.HasScope(Scopes.RepoInvite);

    private static IQueryable<RepositoryInvitation> Invitations(LatchkeyDb db) =>
        db.Invitations.AsNoTracking()
            .Include(i => i.Repository).ThenInclude(r => r!.Owner)
            .Include(i => i.Repository).ThenInclude(r => r!.Collaborators)
            .Include(i => i.Invitee)
            .Include(i => i.Inviter);

    private static InvitationDto ToDto(RepositoryInvitation invitation, Caller caller, ApiUrls urls)
    {
        var repo = invitation.Repository!;
        var full = $"{repo.Owner!.UserName}/{repo.Name}";
        return new InvitationDto(invitation.Id, NodeIds.For("RepositoryInvitation", invitation.Id), RepositoryDto.From(repo, caller, urls),
            SimpleUserDto.From(invitation.Invitee!, urls), SimpleUserDto.From(invitation.Inviter!, urls),
            RepositoryInvitation.Describe(invitation.Permission), DateTime.SpecifyKind(invitation.CreatedAt, DateTimeKind.Utc),
            $"{urls.Api}/user/repository_invitations/{invitation.Id}", $"{urls.Web}/{full}/invitations");
    }

    private static CollaboratorDto Dto(User user, string role, PermissionsDto permissions, ApiUrls urls) => new(
        user.UserName!, user.Id, NodeIds.For("User", user.Id), $"{urls.Web}/avatars/u/{user.Id}", $"{urls.Api}/users/{user.UserName}",
        $"{urls.Web}/{user.UserName}", "User", user.IsSiteAdmin, role, permissions);
}
