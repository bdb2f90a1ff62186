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
            ["repo", "delete_repo", "user", "site_admin"],
            Scopes.Normalise(["site_admin", "user", "delete_repo", "repo"]));
        Assert.Equal(
            ["repo:status", "public_repo", "delete_repo", "read:user"],
            Scopes.Normalise(["read:user", "delete_repo", "public_repo", "repo:status"]));
    }

    [Fact]
    public void Normalise_ignores_unknown_names()
    {
        Assert.Equal(["repo"], Scopes.Normalise(["gist", "repo", "workflow", "REPO", " repo"]));
        Assert.Empty(Scopes.Normalise(["admin:org", "nonsense"]));
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
        Assert.False(Scopes.IsKnown("gist"));
        Assert.Null(Scopes.Find("gist"));
        Assert.Equal(["repo:status", "public_repo", "repo:invite"], Scopes.ChildrenOf("repo").Select(s => s.Name));
    }
}
