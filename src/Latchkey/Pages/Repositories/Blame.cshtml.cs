using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

/// <summary>GitHub's blame view: the file's lines grouped by the commit that last changed them.</summary>
public sealed class RepoBlameModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryRefs refs, RepositoryBlame blame)
    : FilePageModel(callers, repositories, store, refs)
{
    public IReadOnlyList<BlameGroup> Groups { get; private set; } = [];
    public int LineCount => Groups.Sum(g => g.Lines.Count);
    public string? Notice { get; private set; }

    public async Task<IActionResult> OnGetAsync(string owner, string repo, string @ref, string? path)
    {
        if (await OpenFileAsync(owner, repo, @ref, path, "blame") is { } answer)
            return answer;
        var ct = HttpContext.RequestAborted;

        var content = await Store.ReadBlobAsync(Repo, Ref, Path, RepositoryBrowser.MaxDisplayBytes, ct);
        if (content is null)
            Notice = "This file is too large to blame.";
        else if (!RepositoryBrowser.LooksLikeText(content))
            Notice = "Binary file not shown.";
        else
        {
            try
            {
                Groups = await blame.BlameAsync(Repo, Ref, Path, ct) ?? [];
            }
            catch (GitTimeoutException)
            {
                Notice = "This blame took too long to load. Try again later, or look at the file's history.";
            }
            catch (GitOutputTooLargeException)
            {
                Notice = "This blame is too large to display.";
            }
        }
        return Page();
    }
}
