using Latchkey.Tokens;

namespace Latchkey.Tests.Unit;

/// <summary>Classic scopes: a parent implies its children and the stored set is normalised.</summary>
public sealed class ScopeHierarchyTests
{
    [Fact]
    public void Normalise_drops_a_child_when_its_parent_is_present()
    {
        Assert.Equal(["repo"], Scopes.Normalise(["repo", "public_repo", "repo:status", "repo:invite"]));
        Assert.Equal(["user"], Scopes.Normalise(["read:user", "user", "user:email"]));
    }

    [Fact]
    public void Normalise_keeps_a_child_whose_parent_is_absent()
    {
        Assert.Equal(["public_repo"], Scopes.Normalise(["public_repo"]));
        Assert.Equal(["read:user", "user:email"], Scopes.Normalise(["user:email", "read:user"]));
    }

    [Fact]
    public void Normalise_removes_duplicates()
    {
        Assert.Equal(["repo", "delete_repo"], Scopes.Normalise(["repo", "repo", "delete_repo", "delete_repo"]));
    }

    [Fact]
    public void Normalise_orders_scopes_as_the_form_lists_them()
    {
        Assert.Equal(
            ["repo", "user", "delete_repo", "site_admin"],
            Scopes.Normalise(["site_admin", "user", "delete_repo", "repo"]));
        Assert.Equal(
            ["repo:status", "public_repo", "read:user", "delete_repo"],
            Scopes.Normalise(["read:user", "delete_repo", "public_repo", "repo:status"]));
    }

    [Fact]
    public void Normalise_ignores_unknown_names()
    {
        Assert.Equal(["repo"], Scopes.Normalise(["gists", "repo", "work-flow", "REPO", " repo"]));
        Assert.Empty(Scopes.Normalise(["admin:everything", "nonsense"]));
        Assert.Empty(Scopes.Normalise([]));
    }

    [Fact]
    public void Normalise_matches_names_case_sensitively()
    {
        Assert.Empty(Scopes.Normalise(["Repo", "USER", "Delete_Repo"]));
    }

    [Theory]
    [InlineData("repo", "repo", true)]
    [InlineData("repo", "public_repo", true)]
    [InlineData("repo", "repo:status", true)]
    [InlineData("repo", "repo:invite", true)]
    [InlineData("repo", "delete_repo", false)]
    [InlineData("public_repo", "repo", false)]
    [InlineData("public_repo", "public_repo", true)]
    [InlineData("public_repo", "repo:status", false)]
    [InlineData("user", "read:user", true)]
    [InlineData("user", "user:email", true)]
    [InlineData("read:user", "user", false)]
    [InlineData("user", "repo", false)]
    [InlineData("delete_repo", "repo", false)]
    public void Grants_a_scope_itself_or_through_its_parent(string granted, string asked, bool expected)
    {
        Assert.Equal(expected, Scopes.Grants([granted], asked));
    }

    [Fact]
    public void No_scope_grants_nothing()
    {
        Assert.All(Scopes.All, s => Assert.False(Scopes.Grants([], s.Name)));
    }

    [Fact]
    public void Join_gives_the_X_OAuth_Scopes_form()
    {
        Assert.Equal("repo, user", Scopes.Join(["repo", "user"]));
        Assert.Equal("repo", Scopes.Join(["repo"]));
        Assert.Equal("", Scopes.Join([]));
    }

    [Fact]
    public void Split_reads_back_what_Join_wrote()
    {
        Assert.Equal(["repo", "user"], Scopes.Split(Scopes.Join(["repo", "user"])));
        Assert.Equal(["repo", "user"], Scopes.Split(" repo ,, user ,"));
        Assert.Empty(Scopes.Split(""));
    }

    [Fact]
    public void Every_parent_is_listed_before_its_children_and_is_itself_top_level()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var scope in Scopes.All)
        {
            if (scope.Parent is { } parent)
            {
                Assert.Contains(parent, seen);
                Assert.Null(Scopes.Find(parent)!.Parent);
            }
            Assert.True(seen.Add(scope.Name), $"{scope.Name} is listed twice");
        }
    }

    [Fact]
    public void The_scope_names_follow_GitHub()
    {
        Assert.Equal("public_repo", Scopes.Find("public_repo")!.Name);
        Assert.Equal("repo", Scopes.Find("public_repo")!.Parent);
        Assert.Equal("repo", Scopes.Find("repo:status")!.Parent);
        Assert.Null(Scopes.Find("delete_repo")!.Parent);
        Assert.Equal("user", Scopes.Find("user:email")!.Parent);
        Assert.True(Scopes.Find("site_admin")!.AdminOnly);
        Assert.True(Scopes.IsKnown("repo"));
        // GitHub's whole vocabulary is known (tools check for gist, read:org, workflow), even where it guards nothing yet.
        Assert.True(Scopes.IsKnown("gist"));
        Assert.False(Scopes.Find("gist")!.Used);
        Assert.False(Scopes.IsKnown("admin:everything"));
        Assert.Equal(["repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"], Scopes.ChildrenOf("repo").Select(s => s.Name));
    }

    /// <summary>Every scope of GitHub's classic token form, with its parent (shared/scopes.md).</summary>
    public static TheoryData<string, string?> GitHubScopes => new()
    {
        { "repo", null }, { "repo:status", "repo" }, { "repo_deployment", "repo" }, { "public_repo", "repo" }, { "repo:invite", "repo" },
        { "security_events", "repo" }, { "workflow", null }, { "write:packages", null }, { "read:packages", "write:packages" },
        { "delete:packages", null }, { "admin:org", null }, { "write:org", "admin:org" }, { "read:org", "admin:org" },
        { "manage_runners:org", "admin:org" }, { "admin:public_key", null }, { "write:public_key", "admin:public_key" },
        { "read:public_key", "admin:public_key" }, { "admin:repo_hook", null }, { "write:repo_hook", "admin:repo_hook" },
        { "read:repo_hook", "admin:repo_hook" }, { "admin:org_hook", null }, { "gist", null }, { "notifications", null },
        { "user", null }, { "read:user", "user" }, { "user:email", "user" }, { "user:follow", "user" }, { "delete_repo", null },
        { "write:discussion", null }, { "read:discussion", "write:discussion" }, { "admin:enterprise", null },
        { "manage_runners:enterprise", "admin:enterprise" }, { "manage_billing:enterprise", "admin:enterprise" },
        { "read:enterprise", "admin:enterprise" }, { "audit_log", null }, { "read:audit_log", "audit_log" }, { "codespace", null },
        { "codespace:secrets", "codespace" }, { "copilot", null }, { "manage_billing:copilot", "copilot" }, { "project", null },
        { "read:project", "project" }, { "admin:gpg_key", null }, { "write:gpg_key", "admin:gpg_key" }, { "read:gpg_key", "admin:gpg_key" },
        { "admin:ssh_signing_key", null }, { "write:ssh_signing_key", "admin:ssh_signing_key" },
        { "read:ssh_signing_key", "admin:ssh_signing_key" }, { "site_admin", null },
    };

    [Theory]
    [MemberData(nameof(GitHubScopes))]
    public void Every_github_scope_is_known_with_its_parent(string name, string? parent)
    {
        var scope = Scopes.Find(name);
        Assert.NotNull(scope);
        Assert.Equal(parent, scope.Parent);
        // A parent grants its children.
        if (parent is not null)
            Assert.True(Scopes.Grants([parent], name));
    }

    [Fact]
    public void Administrators_only_scopes_are_site_admin_and_the_enterprise_tree()
    {
        Assert.Equal(["admin:enterprise", "manage_runners:enterprise", "manage_billing:enterprise", "read:enterprise", "site_admin"],
            Scopes.All.Where(s => s.AdminOnly).Select(s => s.Name));
        Assert.Equal(GitHubScopes.Count, Scopes.All.Count);
    }
}
