using Latchkey.Pages.Settings.FineGrained;
using Latchkey.Tokens;

namespace Latchkey.Pages.Settings.Tokens;

/// <summary>
/// The token page's Usage section (issue #18's least-privilege advisor): what the token used in the
/// last 90 days against what it holds, and what "Narrow to what it used" would change.
/// </summary>
public sealed record TokenUsageSection(PersonalAccessToken Token, TokenUsageReport Report)
{
    public int Reachable => Report.RepositoriesUsed.Count + Report.RepositoriesUnused.Count;

    /// <summary>What narrowing changes, a line per part, for the confirmation.</summary>
    public IReadOnlyList<string> Changes()
    {
        if (Token.Kind == TokenKind.Classic)
        {
            var after = Report.NarrowedScopes!;
            return [$"Scopes: {Describe(Token.ScopeList)} → {Describe(after)}"];
        }
        var request = Report.NarrowedRequest!;
        var lines = new List<string>();
        var reach = request.Access == RepositoryAccess.Selected
            ? $"only {string.Join(", ", Report.RepositoriesUsed)}"
            : "public repositories only";
        lines.Add($"Repository access: {FineGrainedForm.DescribeReach(Token.RepositoryAccess, Token.Repositories.Count)} → {reach}");
        var before = Token.PermissionSet.Describe();
        var narrowed = (request.Access == RepositoryAccess.PublicOnly
            ? PermissionSet.From(request.Permissions.Levels.Where(p => FineGrainedPermissions.Account.Any(a => a.Key == p.Key)))
            : request.Permissions).Describe();
        if (before != narrowed)
            lines.Add($"Permissions: {before} → {narrowed}");
        return lines;
    }

    private static string Describe(IReadOnlyCollection<string> scopes) => scopes.Count == 0 ? "no scopes" : string.Join(", ", scopes);
}
