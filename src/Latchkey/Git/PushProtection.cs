using System.Diagnostics;
using System.Text;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Latchkey.SecurityLog;
using Latchkey.Tokens;

namespace Latchkey.Git;

public sealed record PushFinding(string Commit, string Path, PersonalAccessToken Token);

/// <summary>
/// Push protection: a push whose new objects or ref names hold a live Latchkey token is refused
/// before any ref moves, and the token is revoked (it now sits in someone's history). The
/// repository's pre-receive hook finds token-shaped strings; the server decides which are live (only
/// it holds the digest key) and answers through files in an owner-only work folder under the data
/// directory (<see cref="DataDirectory.PushProtection"/>, wiped by <see cref="GitLeftoverSweep"/>).
/// No verdict within a minute, or a server that died, refuses the push (fail closed).
/// </summary>
public sealed class PushProtection(LeakedTokens tokens, SecurityLogWriter log, DataDirectory data, Microsoft.Extensions.Options.IOptions<GitOptions> options,
    Observability.LatchkeyMetrics metrics, ILogger<PushProtection> logger)
{
    private static readonly Lazy<string> Hook = new(() =>
    {
        using var stream = typeof(PushProtection).Assembly.GetManifestResourceStream("Latchkey.Git.pre-receive.sh")
            ?? throw new InvalidOperationException("The pre-receive hook is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>Writes (or refreshes) the repository's pre-receive hook.</summary>
    public static void InstallHook(string repositoryPath)
    {
        var path = Path.Combine(repositoryPath, "hooks", "pre-receive");
        if (File.Exists(path) && File.ReadAllText(path) == Hook.Value)
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Concurrent pushes (on this node or another sharing the volume) may install at once: each
        // writes its own file and renames it into place, which is atomic.
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.new";
        File.WriteAllText(temporary, Hook.Value);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.Move(temporary, path, overwrite: true);
    }

    public sealed class Session : IDisposable
    {
        private readonly DirectoryInfo _folder;

        internal Session(string root)
        {
            // Not the system temp folder: other local users may list it, and nothing there is ever
            // swept of what a crashed server left (the candidate tokens of a push).
            HostingSetup.CreatePrivateDirectory(root);
            var path = Path.Combine(root, Guid.NewGuid().ToString("N"));
            HostingSetup.CreatePrivateDirectory(path);
            _folder = new DirectoryInfo(path);
        }

        public string ScanFile => Path.Combine(_folder.FullName, "scan");
        public string VerdictFile => Path.Combine(_folder.FullName, "verdict");
        public List<PushFinding> Findings { get; } = [];

        public void Dispose()
        {
            try
            {
                _folder.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    public Session Begin(ProcessStartInfo receivePack)
    {
        var session = new Session(data.PushProtection);
        receivePack.Environment["LATCHKEY_PUSH_SCAN"] = session.ScanFile;
        receivePack.Environment["LATCHKEY_PUSH_VERDICT"] = session.VerdictFile;
        receivePack.Environment["LATCHKEY_PUSH_SCAN_MAX_BYTES"] = options.Value.PushScanMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return session;
    }

    /// <summary>Waits for the hook's findings while receive-pack runs, and answers them.</summary>
    public async Task WatchAsync(Session session, Repository repo, Task receivePackExited, CancellationToken ct)
    {
        while (!receivePackExited.IsCompleted)
        {
            if (File.Exists(session.ScanFile))
            {
                await JudgeAsync(session, repo, ct);
                return;
            }
            await Task.WhenAny(receivePackExited, Task.Delay(20, ct));
        }
    }

    private async Task JudgeAsync(Session session, Repository repo, CancellationToken ct)
    {
        string[] lines;
        try
        {
            lines = await File.ReadAllLinesAsync(session.ScanFile, ct);
        }
        catch (FileNotFoundException)
        {
            // The hook gave up (and refused) between handing over and our reading: nothing to answer.
            return;
        }
        foreach (var line in lines)
        {
            var parts = line.Split('\t');
            if (parts.Length != 3 || !TokenFormat.TryParse(parts[2], out _))
                continue;
            if (await tokens.FindLiveAsync(parts[2], $"a push to {repo.Owner?.UserName}/{repo.Name}, in {parts[1]}", ct) is { } token && session.Findings.All(f => f.Token.Id != token.Id))
                session.Findings.Add(new PushFinding(parts[0], parts[1], token));
        }

        var verdict = new StringBuilder();
        if (session.Findings.Count == 0)
        {
            verdict.Append("allow\n");
        }
        else
        {
            verdict.Append("deny\n");
            verdict.Append("error: Push cannot contain secrets\n\n");
            verdict.Append("Push protection found a live Latchkey personal access token in this push:\n");
            // The pusher sent the path, but a path may be the token itself: shown masked, like everywhere else.
            foreach (var finding in session.Findings)
                verdict.Append(TokenFormat.Redact(CultureInvariant($"  commit {finding.Commit[..12]}, path {finding.Path}\n")));
            verdict.Append("\nThe token has been revoked: it is in these commits' history now.\n");
            verdict.Append("Remove the secret from your commits (for example with git rebase -i or git commit --amend)\n");
            verdict.Append("and push again. Create a new token at Settings > Developer settings if you still need one.\n");
        }
        var temporary = session.VerdictFile + ".partial";
        await File.WriteAllTextAsync(temporary, verdict.ToString(), ct);
        File.Move(temporary, session.VerdictFile);
        logger.LogInformation("Push protection checked a push to repository {RepositoryId}: {Count} live tokens found", repo.Id, session.Findings.Count);
    }

    /// <summary>After receive-pack: revoke every token found, and tell its owner and the pusher.</summary>
    public async Task FinishAsync(Session session, Repository repo, long pusherId, CancellationToken ct)
    {
        // Every text here reaches a security log and the owner's mail: a token in it (a path or a ref
        // name may be one, live or revoked) is masked at source.
        foreach (var finding in session.Findings)
        {
            var where = TokenFormat.Redact($"{repo.Owner?.UserName}/{repo.Name}, commit {finding.Commit[..12]}, path {finding.Path}");
            await tokens.RevokeAsync(finding.Token, $"found by push protection in a push to {where}", ct);
            if (pusherId != finding.Token.UserId)
                await log.RecordAsync(pusherId, SecurityActions.PushBlocked, $"A push to {where} held another account's token; it was revoked", succeeded: false, ct: ct);
        }
        if (session.Findings.Count > 0)
            metrics.PushProtectionRejection();
        if (session.Findings.Count > 0)
            await log.RecordAsync(pusherId, SecurityActions.PushBlocked,
                TokenFormat.Redact($"A push to {repo.Owner?.UserName}/{repo.Name} was refused: it held {session.Findings.Count} live token(s)"), succeeded: false, ct: ct);
    }

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);
}
