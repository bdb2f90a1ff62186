using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

/// <summary>GitHub's branches page: the default branch, then the others by their last commit, newest first.</summary>
public sealed class RepoBranchesModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryRefs refs)
    : RepositoryPageModel(callers, repositories)
{
    public const int PerPage = 30;

    public BranchSummary? Default { get; private set; }
    public IReadOnlyList<BranchSummary> Others { get; private set; } = [];
    public RefPage Paging { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string owner, string repo, [FromQuery] int page = 1)
    {
        if (await LoadAsync(owner, repo, RepoAction.ReadContents) is { } refused)
            return refused;
        var ct = HttpContext.RequestAborted;
        var branches = await refs.BranchesAsync(Repo, ct);
        var main = await store.DefaultBranchAsync(Repo, ct);
        Default = branches.FirstOrDefault(b => b.Name == main);
        var others = branches.Where(b => b != Default).ToList();
        Paging = RefPage.Of(page, others.Count, PerPage, $"/{OwnerName}/{Repo.Name}/branches");
        if (Paging.Beyond)
            return NotFound();
        Others = others.Skip((Paging.Page - 1) * PerPage).Take(PerPage).ToList();
        return Page();
    }
}

/// <summary>Previous/next links of a list of refs paged in memory (git lists refs in one call; they are few beside commits).</summary>
public sealed record RefPage(int Page, bool HasPrevious, bool HasNext, string Base)
{
    public bool Beyond { get; private init; }

    public static RefPage Of(int page, int total, int perPage, string basePath) => new(page, page > 1, page * perPage < total, basePath)
    {
        Beyond = page < 1 || (page > 1 && (page - 1) * perPage >= total),
    };

    public string Link(int page) => page == 1 ? Base : $"{Base}?page={page}";
}
