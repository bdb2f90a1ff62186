using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Data;
using Latchkey.SecurityLog;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Admin;

/// <summary>
/// What a site administrator does to accounts, from the command line: through the same services,
/// rules and security log as the web and the admin API, so that the effects are the same.
/// </summary>
internal static class AccountCommands
{
    /// <summary>How the security log says where an action came from (there is no administrator account behind it).</summary>
    private static string FromCommandLine(string command) => $"from the command line (latchkey admin {command})";

    public static async Task<int> CreateUserAsync(IServiceProvider services, string username, string email, bool siteAdmin, string password,
        AdminConsole io, CancellationToken ct)
    {
        // The rules of the sign-up form (Pages/Accounts/SignUp), then Identity's validators and the password policy.
        if (UsernameRules.Validate(username) is { } badName)
            return io.Fail(badName);
        email = email.Trim();
        if (!new EmailAddressAttribute().IsValid(email) || email.Length > 254)
            return io.Fail("Email address is invalid.");

        var users = services.GetRequiredService<UserManager<User>>();
        // As on the web, the first account administers the site: a site must never be left without one.
        var isFirst = !await users.Users.AnyAsync(ct);
        var user = new User
        {
            UserName = username,
            Email = email,
            IsSiteAdmin = siteAdmin || isFirst,
            CreatedAt = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime,
        };
        var result = await users.CreateAsync(user, password);
        if (!result.Succeeded)
            return io.Fail(string.Join(" ", result.Errors.Select(Describe)));

        await services.GetRequiredService<SecurityLogWriter>().RecordAsync(user.Id, SecurityActions.SignUp,
            "Created " + FromCommandLine("create-user") + (user.IsSiteAdmin ? " as a site administrator" : ""), ct: ct);
        io.Out.WriteLine($"Created {user.UserName} (id {user.Id}" + (user.IsSiteAdmin
            ? siteAdmin ? ", site administrator)." : ", site administrator: the first account administers the site)."
            : ")."));
        return AdminCommandLine.Success;
    }

    public static async Task<int> ResetPasswordAsync(IServiceProvider services, string username, string password, AdminConsole io, CancellationToken ct)
    {
        var users = services.GetRequiredService<UserManager<User>>();
        if (await FindAsync(services, username, ct) is not { } user)
            return io.Fail(NoSuchUser(username));

        // The policy first: a refused password must leave the old one in place.
        var errors = new List<IdentityError>();
        foreach (var validator in users.PasswordValidators)
            errors.AddRange((await validator.ValidateAsync(users, user, password)).Errors);
        if (errors.Count > 0)
            return io.Fail(string.Join(" ", errors.Select(Describe)));

        // Hash, lockout and a new security stamp in one save. The lockout goes: an operator resetting the
        // password is how a locked-out owner gets back in.
        user.PasswordHash = users.PasswordHasher.HashPassword(user, password);
        user.LockoutEnd = null;
        user.AccessFailedCount = 0;
        var saved = await users.UpdateSecurityStampAsync(user);
        if (!saved.Succeeded)
            return io.Fail(string.Join(" ", saved.Errors.Select(Describe)));

        // As a password change on the web: every session ends, whoever holds it.
        var ended = await services.GetRequiredService<Sessions>().EndAllAsync(user.Id, null, ct);
        await services.GetRequiredService<SecurityLogWriter>().RecordAsync(user.Id, SecurityActions.PasswordChanged,
            $"Reset {FromCommandLine("reset-password")} · sessions signed out: {ended}", ct: ct);
        io.Out.WriteLine($"Set a new password for {user.UserName}; signed out of {Plural(ended, "session")}.");
        return AdminCommandLine.Success;
    }

    /// <summary>Suspends or unsuspends, with the same effects as the admin API and the site-admin page (<see cref="AccountAdministration"/>).</summary>
    public static async Task<int> SuspendAsync(IServiceProvider services, string username, bool suspend, AdminConsole io, CancellationToken ct)
    {
        if (await FindAsync(services, username, ct) is not { } user)
            return io.Fail(NoSuchUser(username));
        var change = await services.GetRequiredService<AccountAdministration>()
            .SetSuspendedAsync(user, suspend, actor: null, FirstUpper(FromCommandLine(suspend ? "suspend" : "unsuspend")), ct);
        if (change.Outcome == AccountChangeOutcome.Unchanged)
        {
            // Nothing to do; the original suspension time stays what it was.
            io.Out.WriteLine(suspend
                ? $"{user.UserName} is already suspended (since {Time(user.SuspendedAt!.Value)})."
                : $"{user.UserName} is not suspended.");
            return AdminCommandLine.Success;
        }
        io.Out.WriteLine(suspend
            ? $"Suspended {user.UserName}: signed out of {Plural(change.EndedSessions, "session")}; sign-in and tokens are refused."
            : $"Unsuspended {user.UserName}: sign-in and tokens work again.");
        return AdminCommandLine.Success;
    }

    public static async Task<int> RevokeTokensAsync(IServiceProvider services, string username, AdminConsole io, CancellationToken ct)
    {
        if (await FindAsync(services, username, ct) is not { } user)
            return io.Fail(NoSuchUser(username));
        var count = await services.GetRequiredService<TokenIssuer>().RevokeAllAsync(user.Id, FromCommandLine("revoke-tokens"), ct);
        io.Out.WriteLine($"Revoked {Plural(count, "personal access token")} of {user.UserName}.");
        return AdminCommandLine.Success;
    }

    /// <summary>
    /// What the web's token list shows (Pages/Settings/Tokens), plus the id and creation time: never a
    /// secret, a digest or even the last eight characters, which only each token's own page shows.
    /// </summary>
    public static async Task<int> ListTokensAsync(IServiceProvider services, string username, AdminConsole io, CancellationToken ct)
    {
        if (await FindAsync(services, username, ct) is not { } user)
            return io.Fail(NoSuchUser(username));
        var service = services.GetRequiredService<TokenIssuer>();
        var tokens = (await service.ListAsync(user.Id, TokenKind.Classic, ct)).Concat(await service.ListAsync(user.Id, TokenKind.FineGrained, ct))
            .OrderByDescending(t => t.Id).ToList();
        if (tokens.Count == 0)
        {
            io.Out.WriteLine($"{user.UserName} has no personal access tokens.");
            return AdminCommandLine.Success;
        }
        await services.GetRequiredService<TokenPolicies>().RefreshAsync(ct);
        var lifetime = services.GetRequiredService<TokenLifetimePolicy>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        io.Out.WriteLine("id\ttype\tnote\tscopes\tcreated\texpires\tlast used");
        foreach (var token in tokens)
        {
            // The site's lifetime limit can end a token before its own expiry: show when it really stops.
            var expires = lifetime.EffectiveExpiry(token) is { } at ? Time(at) + (now >= at ? " (expired)" : "") : "never";
            io.Out.WriteLine(string.Join('\t',
                token.Id.ToString(CultureInfo.InvariantCulture),
                token.Kind == TokenKind.Classic ? "classic" : "fine-grained",
                Printable(token.Note),
                token.Kind == TokenKind.Classic
                    ? (token.Scopes.Length == 0 ? "none" : token.Scopes)
                    : $"repositories: {TokenIssuer.DescribeAccess(token)}; {token.PermissionSet.Describe()}",
                Time(token.CreatedAt),
                expires,
                token.LastUsedAt is { } used ? Time(used) : "never"));
        }
        return AdminCommandLine.Success;
    }

    private static async Task<User?> FindAsync(IServiceProvider services, string username, CancellationToken ct)
    {
        var normalized = UsernameRules.Normalize(username);
        return await services.GetRequiredService<LatchkeyDb>().Users.SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, ct);
    }

    private static string NoSuchUser(string username) => $"there is no user named '{Printable(username)}'.";

    /// <summary>The sign-up form's wording for Identity's refusals; the password policy's own messages as they are.</summary>
    private static string Describe(IdentityError error) => error.Code switch
    {
        nameof(IdentityErrorDescriber.DuplicateUserName) => "Username is already taken.",
        nameof(IdentityErrorDescriber.DuplicateEmail) => "Email address is already in use.",
        _ => error.Description,
    };

    /// <summary>Notes are typed by users; control characters in them must not reach the operator's terminal.</summary>
    internal static string Printable(string text) => string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));

    private static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

    private static string FirstUpper(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
