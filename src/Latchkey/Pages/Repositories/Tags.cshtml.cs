using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

/// <summary>GitHub's tags page: each tag, newest first, with its commit and source archives.</summary>
public sealed class RepoTagsModel(WebCaller callers, RepositoryService repositories, RepositoryRefs refs)
    : RepositoryPageModel(callers, repositories)
{
    public const int PerPage = 30;

    public IReadOnlyList<TagSummary> Tags { get; private set; } = [];
    public RefPage Paging { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string owner, string repo, [FromQuery] int page = 1)
    {
        if (await LoadAsync(owner, repo, RepoAction.ReadContents) is { } refused)
            return refused;
        var tags = await refs.TagsAsync(Repo, HttpContext.RequestAborted);
        Paging = RefPage.Of(page, tags.Count, PerPage, $"/{OwnerName}/{Repo.Name}/tags");
        if (Paging.Beyond)
            return NotFound();
        Tags = tags.Skip((Paging.Page - 1) * PerPage).Take(PerPage).ToList();
        return Page();
    }

    public string Archive(TagSummary tag, string extension) =>
        $"/{OwnerName}/{Repo.Name}/archive/refs/tags/{Hosting.CatchAllPath.Escape(tag.Name)}{extension}";
}
