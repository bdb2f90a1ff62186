using System.Diagnostics;
using Latchkey.Repositories;
using Latchkey.Tokens;

namespace Latchkey.Tests.Unit;

/// <summary><see cref="GitRefNames"/> answers as git's own <c>git check-ref-format</c> does, name by name.</summary>
public sealed class GitRefNamesTests
{
    public static TheoryData<string> Names() =>
    [
        "main", "feature/x", "release-1.0", "v1.0.0", "a/b/c", "unicode-é", "with+plus", "at@sign", "under_score",
        "main.lock", "feature/x.", "a//b", ".hidden", "feature/.x", "a..b", "what?", "star*", "br[acket", "back\\slash",
        "tilde~1", "caret^", "co:lon", "sp ace", "tab\tx", "x@{1}", "@", "trailing/", "/leading", "x.lock/y", "ok.locked",
        "a/.lock", "dot.", "nul\u0001", "del\u007f", "a.b.c",
    ];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_full_name_is_valid_exactly_when_git_says_so(string name)
    {
        var full = "refs/heads/" + name;
        Assert.Equal(await GitAcceptsAsync("check-ref-format", full), GitRefNames.IsValidFullName(full));
    }

    [Theory]
    [MemberData(nameof(Names))]
    [InlineData("HEAD")]
    [InlineData("-option")]
    [InlineData("refs/heads/main")]
    public async Task A_branch_name_is_never_more_permissive_than_git_branch(string name)
    {
        // git check-ref-format --branch also accepts "refs/heads/main" (as a branch named so); the
        // server refuses full-name forms for a short-name parameter, which is stricter, never looser.
        if (GitRefNames.IsValidBranchName(name))
            Assert.True(await GitAcceptsAsync("check-ref-format", "--branch", name), $"{name} is accepted but git refuses it");
        if (name is "HEAD" or "-option" or "refs/heads/main")
            Assert.False(GitRefNames.IsValidBranchName(name));
    }

    [Fact]
    public void Redact_masks_every_token_shaped_string_to_its_prefix_and_last_eight()
    {
        var classic = TokenFormat.Generate(TokenKind.Classic);
        var fine = TokenFormat.Generate(TokenKind.FineGrained);
        var text = $"found in docs/{classic}.txt and refs/heads/{fine}";
        var masked = TokenFormat.Redact(text);
        Assert.DoesNotContain(classic, masked, StringComparison.Ordinal);
        Assert.DoesNotContain(fine, masked, StringComparison.Ordinal);
        Assert.Equal($"found in docs/lkp_…{classic[^8..]}.txt and refs/heads/lkf_…{fine[^8..]}", masked);
        Assert.Equal("nothing here", TokenFormat.Redact("nothing here"));
    }

    private static async Task<bool> GitAcceptsAsync(params string[] args)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        return process.ExitCode == 0;
    }
}
