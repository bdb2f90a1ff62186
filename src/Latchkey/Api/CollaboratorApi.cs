using System.Text.Json;
using System.Text.Json.Serialization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

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
        // GitHub lists collaborators to those who may push.
        api.MapGet("/repos/{owner}/{repo}/collaborators", ListAsync).Requires(new RepositoryRequirement(RepoAction.Write));
        api.MapPut("/repos/{owner}/{repo}/collaborators/{username}", InviteAsync).Requires(new RepositoryRequirement(RepoAction.Admin));
        api.MapDelete("/repos/{owner}/{repo}/collaborators/{username}", RemoveAsync).Requires(new RepositoryRequirement(RepoAction.Admin));
        var invitations = api.MapGroup("/user/repository_invitations").Requires(InvitationRequirement.Instance);
        invitations.MapGet("", MyInvitationsAsync);
        invitations.MapPatch("/{id:long}", (HttpContext c, long id, CurrentCaller current, RepositoryCollaborators collaborators) => AnswerAsync(c, id, accept: true, current, collaborators));
        invitations.MapDelete("/{id:long}", (HttpContext c, long id, CurrentCaller current, RepositoryCollaborators collaborators) => AnswerAsync(c, id, accept: false, current, collaborators));
        return api;
    }

    private static async Task<Ok<List<CollaboratorDto>>> ListAsync(HttpContext context, CurrentCaller current, RepositoryCollaborators collaborators)
    {
        var found = current.Repository!;
        var urls = ApiUrls.Of(context.Request);
        var people = await collaborators.ListAsync(found, context.RequestAborted);
        var list = new List<CollaboratorDto> { Dto(found.Owner!, "admin", new PermissionsDto(true, true, true), urls) };
        list.AddRange(people.Select(c => Dto(c.User!, RepositoryInvitation.Describe(c.Permission),
            new PermissionsDto(c.Permission == CollaboratorRole.Admin, c.Permission != CollaboratorRole.Pull, true), urls)));
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Created<InvitationDto>, NoContent, ApiErrorResult>> InviteAsync(HttpContext context, string username, CurrentCaller current, RepositoryCollaborators collaborators)
    {
        var found = current.Repository!;
        var (body, invalid) = await ApiJson.ReadAsync<AddCollaborator>(context, optional: true);
        if (invalid is not null)
            return invalid;
        if (RepositoryInvitation.Parse(body?.Permission) is not { } permission)
            return ApiErrors.Validation(new ApiErrors.FieldError("Collaborator", "permission", "invalid", "permission must be pull, push or admin."));
        var caller = current.Caller;
        var (outcome, invitation) = await collaborators.InviteAsync(found, caller.User!, username, permission, context.RequestAborted);
        return outcome switch
        {
            InviteOutcome.NoSuchUser => ApiErrors.NotFound(),
            InviteOutcome.IsOwner => ApiErrors.Validation(new ApiErrors.FieldError("Collaborator", "username", "invalid", "The owner is not a collaborator of their own repository.")),
            InviteOutcome.RoleChanged => TypedResults.NoContent(),
            _ => Invited(ToDto(invitation!, caller, ApiUrls.Of(context.Request))),
        };
    }

    private static Created<InvitationDto> Invited(InvitationDto invitation) => TypedResults.Created(invitation.Url, invitation);

    private static Results<NoContent, ApiErrorResult> NoContentOrNotFound(bool done)
    {
        if (done)
            return TypedResults.NoContent();
        return ApiErrors.NotFound();
    }

    private static async Task<Results<NoContent, ApiErrorResult>> RemoveAsync(HttpContext context, string username, CurrentCaller current, RepositoryCollaborators collaborators)
    {
        var found = current.Repository!;
        return NoContentOrNotFound(await collaborators.RemoveAsync(found, username, context.RequestAborted));
    }

    private static async Task<Ok<List<InvitationDto>>> MyInvitationsAsync(HttpContext context, CurrentCaller current, RepositoryCollaborators collaborators)
    {
        var caller = current.Caller;
        var invitations = await collaborators.PendingForUserAsync(caller.User!.Id, context.RequestAborted);
        var urls = ApiUrls.Of(context.Request);
        return TypedResults.Ok(invitations.Select(i => ToDto(i, caller, urls)).ToList());
    }

    private static async Task<Results<NoContent, ApiErrorResult>> AnswerAsync(HttpContext context, long id, bool accept, CurrentCaller current, RepositoryCollaborators collaborators)
    {
        return NoContentOrNotFound(await collaborators.AnswerAsync(current.User!.Id, id, accept, context.RequestAborted));
    }

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
