using Latchkey.Repositories;

namespace Latchkey.Tests.Unit;

/// <summary>GitHub's rules for repository names.</summary>
public sealed class RepositoryNamesTests
{
    [Theory]
    [InlineData("pub")]
    [InlineData("My-Repo")]
    [InlineData("my_repo")]
    [InlineData("my.repo")]
    [InlineData("dotfiles.github")]
    [InlineData(".github")]
    [InlineData("...")]
    [InlineData("-")]
    [InlineData("_")]
    [InlineData("v1.2.3")]
    [InlineData("git")]
    [InlineData("repo.gitx")]
    public void Accepts_ascii_letters_digits_dots_hyphens_and_underscores(string name)
    {
        Assert.Null(RepositoryNames.Validate(name));
    }

    [Fact]
    public void Accepts_exactly_100_characters_and_refuses_101()
    {
        Assert.Null(RepositoryNames.Validate(new string('r', 100)));

        var error = RepositoryNames.Validate(new string('r', 101));
        Assert.NotNull(error);
        Assert.Contains("too long", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a:b")]
    [InlineData("a~b")]
    [InlineData("a@b")]
    [InlineData("répo")]
    [InlineData("ｒepo")]
    [InlineData("a\tb")]
    [InlineData("a\0b")]
    public void Refuses_other_characters(string name)
    {
        var error = RepositoryNames.Validate(name);

        Assert.NotNull(error);
        Assert.Contains("only ASCII letters", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("repo\n")]
    [InlineData("x\n")]
    public void Refuses_a_trailing_newline(string name)
    {
        // A "$" anchor in .NET also matches before a final "\n"; "repo\n" must not pass as "repo".
        Assert.NotNull(RepositoryNames.Validate(name));
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public void Refuses_dot_and_dot_dot(string name)
    {
        Assert.Equal("Repository name cannot be '.' or '..'.", RepositoryNames.Validate(name));
    }

    [Theory]
    [InlineData("repo.git")]
    [InlineData("repo.GIT")]
    [InlineData("repo.Git")]
    [InlineData(".git")]
    public void Refuses_a_git_suffix_whatever_the_case(string name)
    {
        Assert.Equal("Repository names cannot end with '.git'.", RepositoryNames.Validate(name));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Refuses_a_missing_name(string? name)
    {
        Assert.Equal("Repository name is required.", RepositoryNames.Validate(name));
    }

    [Theory]
    [InlineData("repo.git", "repo")]
    [InlineData("repo.GIT", "repo")]
    [InlineData("repo", "repo")]
    [InlineData("repo.gitx", "repo.gitx")]
    [InlineData("repo.git.git", "repo.git")]
    [InlineData(".git", "")]
    [InlineData("git", "git")]
    public void StripGitSuffix_removes_one_git_suffix(string name, string expected)
    {
        Assert.Equal(expected, RepositoryNames.StripGitSuffix(name));
    }

    [Fact]
    public void Names_are_normalised_case_insensitively()
    {
        Assert.Equal(Repository.Normalize("My-Repo"), Repository.Normalize("my-repo"));
    }
}
