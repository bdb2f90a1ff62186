using GraphQL;
using GraphQL.Types;
using Latchkey.Api;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Repositories;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.GraphQL;

public sealed class MutationType : ObjectGraphType
{
    public MutationType()
    {
        Name = "Mutation";
        Field<CreateRepositoryPayloadType>("createRepository")
            .Argument<NonNullGraphType<CreateRepositoryInputType>>("input")
            .ResolveAsync(CreateAsync);
        Field<DeleteRepositoryPayloadType>("deleteRepository")
            .Argument<NonNullGraphType<DeleteRepositoryInputType>>("input")
            .ResolveAsync(DeleteAsync);
    }

    /// <summary>Creates the repository under the caller's account (ownerId may name only them), deciding as REST's POST /user/repos does.</summary>
    private static async Task<object?> CreateAsync(IResolveFieldContext<object?> context)
    {
        var input = context.GetArgument<Dictionary<string, object?>>("input");
        var current = context.Current();
        var user = current.User!;
        if (input.GetValueOrDefault("ownerId") is string ownerId && ownerId != NodeIds.For("User", user.Id))
        {
            context.Errors.Add(context.Error("You can create repositories under your own account only on this server.", "FORBIDDEN"));
            return null;
        }
        var isPrivate = input.GetValueOrDefault("visibility") as string is "PRIVATE" or "INTERNAL";
        var decision = await context.Service<Authorizer>().DecideAsync(CreateRepositoryRequirement.Instance, isPrivate);
        if (!decision.IsAllowed)
            return context.Refused(decision, "Resource not accessible by personal access token");
        var name = input.GetValueOrDefault("name") as string ?? "";
        var result = await context.Service<RepositoryService>().CreateAsync(user, name, input.GetValueOrDefault("description") as string, isPrivate,
            addReadme: false, context.CancellationToken);
        if (result.Repository is not { } repo)
        {
            context.Errors.Add(context.Error(result.NameTaken ? "Name already exists on this account" : result.Error ?? "The repository could not be created.", "UNPROCESSABLE"));
            return null;
        }
        return new MutationPayload(repo, input.GetValueOrDefault("clientMutationId") as string);
    }

    /// <summary>Deletes a repository by node id: the delete_repo scope (or Administration write), as REST's DELETE /repos/{owner}/{repo}.</summary>
    private static async Task<object?> DeleteAsync(IResolveFieldContext<object?> context)
    {
        var input = context.GetArgument<Dictionary<string, object?>>("input");
        var nodeId = input.GetValueOrDefault("repositoryId") as string ?? "";
        var repositories = context.Service<RepositoryService>();
        var repo = NodeIds.TryRead(nodeId, "Repository") is { } id
            ? await context.Service<LatchkeyDb>().Repositories.Include(r => r.Owner).Include(r => r.Collaborators).SingleOrDefaultAsync(r => r.Id == id, context.CancellationToken)
            : null;
        if (repo is null)
        {
            context.Errors.Add(context.Error($"Could not resolve to a node with the global id of '{nodeId}'.", "NOT_FOUND"));
            return null;
        }
        var decision = await context.Service<Authorizer>().DecideAsync(new RepositoryRequirement(RepoAction.Delete), repo);
        if (decision.Kind is DecisionKind.NotFound or DecisionKind.Challenge)
        {
            context.Errors.Add(context.Error($"Could not resolve to a node with the global id of '{nodeId}'.", "NOT_FOUND"));
            return null;
        }
        if (!decision.IsAllowed)
            return context.Refused(decision, "Must have admin rights to Repository.");
        await repositories.DeleteAsync(repo, context.CancellationToken);
        return new MutationPayload(null, input.GetValueOrDefault("clientMutationId") as string);
    }
}

public sealed record MutationPayload(Repository? Repository, string? ClientMutationId);

public sealed class CreateRepositoryPayloadType : ObjectGraphType<MutationPayload>
{
    public CreateRepositoryPayloadType()
    {
        Name = "CreateRepositoryPayload";
        Field<RepositoryType>("repository").Resolve(context => context.Source.Repository);
        Field<StringGraphType>("clientMutationId").Resolve(context => context.Source.ClientMutationId);
    }
}

public sealed class DeleteRepositoryPayloadType : ObjectGraphType<MutationPayload>
{
    public DeleteRepositoryPayloadType()
    {
        Name = "DeleteRepositoryPayload";
        Field<StringGraphType>("clientMutationId").Resolve(context => context.Source.ClientMutationId);
    }
}

public sealed class CreateRepositoryInputType : InputObjectGraphType
{
    public CreateRepositoryInputType()
    {
        Name = "CreateRepositoryInput";
        Field<NonNullGraphType<StringGraphType>>("name");
        Field<NonNullGraphType<RepositoryVisibilityType>>("visibility");
        Field<IdGraphType>("ownerId");
        Field<StringGraphType>("description");
        Field<StringGraphType>("homepageUrl");
        Field<BooleanGraphType>("hasIssuesEnabled");
        Field<BooleanGraphType>("hasWikiEnabled");
        Field<BooleanGraphType>("template");
        Field<IdGraphType>("teamId");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class DeleteRepositoryInputType : InputObjectGraphType
{
    public DeleteRepositoryInputType()
    {
        Name = "DeleteRepositoryInput";
        Field<NonNullGraphType<IdGraphType>>("repositoryId");
        Field<StringGraphType>("clientMutationId");
    }
}
