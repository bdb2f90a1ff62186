using System.Collections.Concurrent;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Repositories;
using Latchkey.SecurityLog;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Git;

/// <summary>
/// Git operations done with a token become security-log events (<c>git.clone</c>, <c>git.fetch</c>, <c>git.push</c>), so
/// a leaked token's use can be traced (found by its hashed_token): at most one per token, repository
/// and operation an hour. This node remembers what it wrote, so a busy token costs a dictionary look-up;
/// on a miss the log itself is asked, so several nodes together still write one an hour.
/// </summary>
public sealed class GitEvents(TimeProvider clock)
{
    public static readonly TimeSpan Period = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<(long Token, long Repository, string Action), DateTime> _written = new();

    public async Task RecordAsync(HttpContext context, Repository repo, string action)
    {
        var current = context.RequestServices.GetRequiredService<CurrentCaller>();
        if (current.Token is not { } token || current.User is not { } user)
            return;
        var now = clock.GetUtcNow().UtcDateTime;
        var key = (token.Id, repo.Id, action);
        if (_written.TryGetValue(key, out var last) && now - last < Period)
            return;
        _written[key] = now;
        if (_written.Count > 100_000)
            _written.Clear();

        var verb = action switch
        {
            SecurityActions.GitPush => "Pushed to",
            SecurityActions.GitClone => "Cloned",
            _ => "Fetched from",
        };
        var detail = $"{verb} {repo.Owner?.UserName}/{repo.Name}";
        var since = now - Period;
        var db = context.RequestServices.GetRequiredService<LatchkeyDb>();
        if (await db.SecurityEvents.AnyAsync(e => e.UserId == user.Id && e.TokenId == token.Id && e.Action == action && e.Detail == detail && e.CreatedAt > since, CancellationToken.None))
            return;
        await context.RequestServices.GetRequiredService<SecurityLogWriter>().RecordAsync(user.Id, action, detail, token: token, ct: CancellationToken.None);
    }
}
