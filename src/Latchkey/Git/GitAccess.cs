using System.Text;
using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Latchkey.SecurityLog;
using Latchkey.Tokens;
using Microsoft.Extensions.Options;

namespace Latchkey.Git;

/// <summary>How a door writes a refusal: the status and the message, in that door's format (a 401 carries the door's challenge).</summary>
public delegate Task DoorAnswer(HttpContext context, int status, string message);

/// <summary>
/// Who may do what over git: the token scheme reads the credential, the repository is found and
/// the declared requirement decided through <see cref="Authorizer"/>; this is the git door's
/// translator, writing each refusal in a form git shows to the person (text/plain lines become
/// "remote:" lines) with the status git acts on (401 makes it ask its credential helper).
/// </summary>
public sealed class GitAccess(RepositoryService repositories, RepositoryStore store, Authorizer authorizer, IOptions<GitOptions> options, SecurityLogWriter log)
{
    public const string Realm = "Latchkey";

    public RepositoryService Repositories => repositories;
    public RepositoryStore Store => store;

    public long? MaxRequestBytes => options.Value.MaxPushBytes;

    public TimeSpan MaxPushDuration => TimeSpan.FromMinutes(options.Value.MaxPushMinutes);

    /// <summary>Background maintenance repacks repositories (<see cref="GitOptions.Maintenance"/>).</summary>
    public bool Maintenance => options.Value.Maintenance;

    /// <summary>Pushes are scanned for live tokens (<see cref="GitOptions.PushProtection"/>).</summary>
    public bool PushProtection => options.Value.PushProtection;

    /// <summary>The repository when the caller may do <paramref name="action"/>; otherwise null, with the response written.</summary>
    /// <param name="answer">How this door writes a refusal (git's plain text when null; Git LFS answers in its JSON).</param>
    public async Task<Repository?> AuthorizeAsync(HttpContext context, string owner, string repoName, RepoAction action, DoorAnswer? answer = null)
    {
        answer ??= PlainAnswer;
        var current = await TokenAuthenticationHandler.AuthenticateAsync(context);
        if (await RefuseCredentialAsync(context, current.Credential!, answer))
            return null;

        var caller = current.Caller;
        var requirement = new RepositoryRequirement(action);
        // An anonymous push is challenged before the lookup; a missing repository is the policy's to answer too.
        Repository? repo = null;
        var decision = AccessPolicy.DecideBeforeLookup(caller, requirement);
        if (decision is null)
        {
            repo = await repositories.FindAsync(owner, repoName, context.RequestAborted);
            decision = await authorizer.DecideAsync(requirement, repo);
        }
        return await AnswerAsync(context, caller, repo, action, decision, answer);
    }

    /// <summary>
    /// Turns a decision about <paramref name="repo"/> into the door's answer: the repository when it
    /// is allowed; otherwise null, with the challenge, "not found" or the refusal (logged) written.
    /// </summary>
    public async Task<Repository?> AnswerAsync(HttpContext context, Caller caller, Repository? repo, RepoAction action, Decision decision, DoorAnswer answer)
    {
        switch (decision.Kind)
        {
            case DecisionKind.Allow:
                context.RequestServices.GetRequiredService<CurrentCaller>().Repository = repo;
                return repo;
            case DecisionKind.Challenge:
                await answer(context, StatusCodes.Status401Unauthorized, "Authentication required. Use your username and a personal access token as the password.\n");
                return null;
            case DecisionKind.NotFound:
                await answer(context, StatusCodes.Status404NotFound, "Repository not found.\n");
                return null;
            default:
                await log.RecordAsync(caller.User!.Id, SecurityActions.GitPermissionDenied, TokenFormat.Redact(
                    $"{(action == RepoAction.Write ? "Push to" : "Access to")} {repo!.Owner!.UserName}/{repo.Name}" +
                    (decision.MissingScope is { } missing ? $": the token lacks the {missing} scope"
                        : decision.MissingPermission is { } permission ? $": the token lacks the {FineGrainedPermissions.Label(permission)} permission"
                        : ": not permitted for this account")),
                    succeeded: false, token: context.RequestServices.GetRequiredService<CurrentCaller>().Token, ct: context.RequestAborted);
                await answer(context, StatusCodes.Status403Forbidden,
                    $"Permission to {repo!.Owner!.UserName}/{repo.Name}.git denied to {caller.User!.UserName}.\n" +
                    (decision.MissingPermission is { } needed ? $"The fine-grained token needs the {FineGrainedPermissions.Label(needed)} permission on this repository.\n" : ""));
                return null;
        }
    }

    /// <summary>
    /// Answers a credential that cannot be accepted (throttled, unreadable, a password, a bad or revoked
    /// token) in git's words, and says whether it did. Archive downloads answer a token the same way.
    /// </summary>
    public static async Task<bool> RefuseCredentialAsync(HttpContext context, CredentialResult credential, DoorAnswer? answer = null)
    {
        answer ??= PlainAnswer;
        switch (credential.Outcome)
        {
            case CredentialOutcome.Throttled:
                context.Response.Headers.RetryAfter = CredentialThrottle.Seconds(credential.RetryAfter!.Value).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await answer(context, StatusCodes.Status429TooManyRequests, credential.Message + "\n");
                return true;
            case CredentialOutcome.Malformed:
                await answer(context, StatusCodes.Status400BadRequest, credential.Message + "\n");
                return true;
            case CredentialOutcome.PasswordNotSupported:
                await answer(context, StatusCodes.Status401Unauthorized,
                    "Password authentication is not supported for Git operations.\n" +
                    "Use a personal access token as the password instead.\n" +
                    $"Create one at {BaseUrl(context)}/settings/tokens\n");
                return true;
            case CredentialOutcome.BadToken:
                await answer(context, StatusCodes.Status401Unauthorized,
                    "Invalid username or token. Password authentication is not supported for Git operations.\n");
                return true;
            case CredentialOutcome.Refused:
                await answer(context, StatusCodes.Status403Forbidden, credential.Message + "\n" +
                    (credential.Token?.Kind == Tokens.TokenKind.Classic && credential.Message == Tokens.TokenPolicy.ClassicDisabledMessage
                        ? $"Create one at {BaseUrl(context)}/settings/personal-access-tokens/new\n" : ""));
                return true;
        }
        return false;
    }

    /// <summary>Git's answer: text/plain lines (git shows them as "remote:"), a 401 with the Basic challenge that makes git ask its helper.</summary>
    public static Task PlainAnswer(HttpContext context, int status, string message) =>
        status == StatusCodes.Status401Unauthorized ? ChallengeAsync(context, message) : WritePlainAsync(context, status, message);

    /// <summary>The user a request was authorized for (set by <see cref="AuthorizeAsync"/>).</summary>
    public static long PusherId(HttpContext context) => context.RequestServices.GetRequiredService<CurrentCaller>().User?.Id ?? 0;

    public static async Task ChallengeAsync(HttpContext context, string message)
    {
        context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\"";
        await WritePlainAsync(context, StatusCodes.Status401Unauthorized, message);
    }

    public static async Task WritePlainAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(message), context.RequestAborted);
    }

    public static string BaseUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
}

/// <summary>Git over HTTP (section "Git").</summary>
public sealed class GitOptions
{
    /// <summary>Largest accepted git request body, also after gzip decompression.</summary>
    public long MaxPushBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>
    /// Longest a push (one git-receive-pack request) may run, in minutes; then it is cut and moves no
    /// ref. The default lets the largest push (Git:MaxPushBytes) through at about 2.4 Mbit/s. Because no push outlives it,
    /// <see cref="GitLeftoverSweep"/> may remove what is older on a data directory that several nodes share.
    /// </summary>
    public int MaxPushMinutes { get; set; } = 120;

    public const int MaxPushMinutesCeiling = 7 * 24 * 60;

    /// <summary>
    /// Longest a read whose cost grows with history (a commit list, a diff, blame, a comparison) may
    /// run, in seconds; then git is stopped and the page or API says the operation took too long.
    /// </summary>
    public int BrowseSeconds { get; set; } = 10;

    public TimeSpan BrowseLimit => TimeSpan.FromSeconds(BrowseSeconds);

    /// <summary>
    /// Push protection reads text blobs up to this size (1 MiB, as GitLab's secret push protection);
    /// larger blobs, and binary ones (a NUL byte in the first 8000 bytes), are not scanned, as
    /// GitHub's secret scanning scans neither. Commits, tags and ref names are always scanned.
    /// </summary>
    public long PushScanMaxBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Push protection: a push holding a live token is refused and the token revoked. Off, pushes are
    /// not scanned at all (the pre-receive hook stays installed and lets every push through); an
    /// operator turns it off only knowingly, e.g. to measure what it costs.
    /// </summary>
    public bool PushProtection { get; set; } = true;

    /// <summary>
    /// How long a pack generated for a fetch is kept for identical fetches (same repository, refs and
    /// request), in seconds; 0 turns the pack cache off.
    /// </summary>
    public int PackCacheSeconds { get; set; } = 60;

    /// <summary>
    /// Background repository maintenance (<see cref="RepositoryMaintenance"/>: geometric repacking,
    /// a multi-pack index with its reachability bitmap, a commit-graph, packed refs). Off, a
    /// repository stays as pushed, and git's own <c>gc --auto</c> after a push is left on.
    /// </summary>
    public bool Maintenance { get; set; } = true;

    /// <summary>Pushes (or API writes) after which a repository is maintained, once it is idle.</summary>
    public int MaintenanceAfterPushes { get; set; } = 10;

    /// <summary>How long after its last push a repository must have been left alone before it is maintained, in seconds.</summary>
    public int MaintenanceIdleSeconds { get; set; } = 60;

    public const int MaintenanceAfterPushesCeiling = 1_000_000;

    public sealed class Validator : IValidateOptions<GitOptions>
    {
        public ValidateOptionsResult Validate(string? name, GitOptions options) => OptionRules.Check(
            options.MaxPushBytes < 1 ? $"Git:MaxPushBytes must be a positive number of bytes, not {options.MaxPushBytes}." : null,
            options.MaxPushMinutes is < 1 or > MaxPushMinutesCeiling
                ? $"Git:MaxPushMinutes must be a number of minutes from 1 to {MaxPushMinutesCeiling} (a week), not {options.MaxPushMinutes}."
                : null,
            options.PackCacheSeconds is < 0 or > 86400 ? $"Git:PackCacheSeconds must be a number of seconds from 0 (off) to 86400, not {options.PackCacheSeconds}." : null,
            options.PushScanMaxBytes < 1 ? $"Git:PushScanMaxBytes must be a positive number of bytes, not {options.PushScanMaxBytes}." : null,
            options.BrowseSeconds is < 1 or > 600 ? $"Git:BrowseSeconds must be a number of seconds from 1 to 600, not {options.BrowseSeconds}." : null,
            options.MaintenanceAfterPushes is < 1 or > MaintenanceAfterPushesCeiling
                ? $"Git:MaintenanceAfterPushes must be a number of pushes from 1 to {MaintenanceAfterPushesCeiling}, not {options.MaintenanceAfterPushes}."
                : null,
            options.MaintenanceIdleSeconds is < 0 or > 86400 ? $"Git:MaintenanceIdleSeconds must be a number of seconds from 0 to 86400, not {options.MaintenanceIdleSeconds}." : null);
    }
}
