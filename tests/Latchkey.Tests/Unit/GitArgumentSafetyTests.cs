using Latchkey.Repositories;

namespace Latchkey.Tests.Unit;

/// <summary>Refs and paths come from URLs and end up as git arguments: nothing git reads as an option.</summary>
public sealed class GitArgumentSafetyTests
{
    [Theory]
    [InlineData("main")]
    [InlineData("feature/x")]
    [InlineData("release-1.2")]
    [InlineData("v1.0.0")]
    [InlineData("refs/heads/main")]
    [InlineData("my_branch")]
    [InlineData("0123456789abcdef0123456789abcdef01234567")]
    [InlineData("HEAD")]
    [InlineData("x<b>y")]
    [InlineData("\"onmouseover=\"alert(1)")]
    [InlineData("mäin")]
    public void Ordinary_refs_and_any_name_git_allows_are_safe(string gitRef)
    {
        Assert.True(RepositoryStore.IsSafeRef(gitRef));
    }

    [Theory]
    [InlineData("--upload-pack=x")]
    [InlineData("-c")]
    [InlineData("--output=/tmp/x")]
    [InlineData("a..b")]
    [InlineData("main...feature")]
    [InlineData("..")]
    [InlineData("main^")]
    [InlineData("main~1")]
    [InlineData("main@{1}")]
    [InlineData("@{-1}")]
    [InlineData("main:README.md")]
    [InlineData(":/fix")]
    [InlineData("main\n")]
    [InlineData("ma in")]
    [InlineData("a\0b")]
    [InlineData("a*b")]
    [InlineData("a\\b")]
    [InlineData("")]
    public void Options_and_revision_expressions_are_not_safe_refs(string gitRef)
    {
        Assert.False(RepositoryStore.IsSafeRef(gitRef));
    }

    [Fact]
    public void A_ref_longer_than_255_characters_is_not_safe()
    {
        Assert.True(RepositoryStore.IsSafeRef(new string('a', 255)));
        Assert.False(RepositoryStore.IsSafeRef(new string('a', 256)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("README.md")]
    [InlineData("src/main.c")]
    [InlineData("docs/.vuepress/config.js")]
    [InlineData("a..b/c")]
    [InlineData("...")]
    [InlineData("-rf")]
    public void Ordinary_paths_are_safe(string path)
    {
        Assert.True(RepositoryStore.IsSafePath(path));
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("..")]
    [InlineData("a/../b")]
    [InlineData("a/..")]
    [InlineData(".")]
    [InlineData("./a")]
    [InlineData("a/./b")]
    [InlineData("/abs")]
    [InlineData("/")]
    [InlineData("a\0b")]
    public void Traversal_absolute_and_nul_paths_are_not_safe(string path)
    {
        Assert.False(RepositoryStore.IsSafePath(path));
    }

    [Fact]
    public void A_path_longer_than_4096_characters_is_not_safe()
    {
        Assert.True(RepositoryStore.IsSafePath(new string('a', 4096)));
        Assert.False(RepositoryStore.IsSafePath(new string('a', 4097)));
    }
}
