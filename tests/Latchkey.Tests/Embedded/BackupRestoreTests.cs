using System.Diagnostics;
using System.Net;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Embedded;

/// <summary>
/// The documented backup and restore (README, "Backup and restore"): deploy/backup.sh on a running
/// server, the data directory lost, deploy/restore.sh into a new one, and everything works again:
/// the account, the repository with its pushed history and its Git LFS objects, and the token that was in use.
/// </summary>
public sealed class BackupRestoreTests
{
    private const string Password = "backup test passphrase";

    private static readonly byte[] LargeFile = LfsTests.RandomBytes(300_000, seed: 40);

    private static async Task<(int Exit, string Output)> ScriptAsync(string script, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(SourceTree.PathOf("deploy", script));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    [Fact]
    public async Task A_backup_taken_while_the_server_runs_restores_accounts_repositories_and_tokens()
    {
        // A quote in the path must not break the backup's own commands.
        var backup = Path.Combine(Directory.CreateTempSubdirectory("latchkey-backup-").FullName, "it's backup");
        var restored = Path.Combine(Directory.CreateTempSubdirectory("latchkey-restored-").FullName, "data");
        try
        {
            string token;
            string pushed;
            using var git = new GitClient();
            await using (var server = await LatchkeyServer.StartAsync())
            {
                using var web = server.NewBrowserSession();
                await web.SignUpAsync("dana", Password);
                await web.CreateRepositoryAsync("precious", isPrivate: true, addReadme: true);
                token = await web.CreateTokenAsync("laptop", ["repo"]);
                var clone = await git.CloneAsync(server.Url("/dana/precious.git"), "precious", "dana", token);
                Assert.True(clone.Succeeded, clone.ToString());
                await git.CommitFileAsync("precious", "notes.txt", "worth keeping\n", "Add notes");
                var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "precious"), server.Url("/dana/precious.git"), "dana", token);
                Assert.True(push.Succeeded, push.ToString());
                pushed = (await git.RunAsync(Path.Combine(git.WorkDirectory, "precious"), null, null, "rev-parse", "HEAD")).Output.Trim();
                // A Git LFS object, as git-lfs uploads it.
                using var http = new HttpClient();
                await Lfs.UploadAsync(http, server.Url("/dana/precious.git/info/lfs/objects/batch"), "dana", token, LargeFile);

                // Online: the server keeps running while the backup is taken.
                var (exit, output) = await ScriptAsync("backup.sh", server.DataDirectory, backup);
                Assert.True(exit == 0, output);
                Assert.Equal(HttpStatusCode.OK, (await web.GetAsync("/dana/precious")).Status);
            }
            // The server is gone and so is its data directory (LatchkeyServer deletes it).

            var (restoreExit, restoreOutput) = await ScriptAsync("restore.sh", backup, restored);
            Assert.True(restoreExit == 0, restoreOutput);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(restored));

            await using var again = await LatchkeyServer.StartAsync(reuseDataDirectory: restored);
            var fresh = await git.CloneAsync(again.Url("/dana/precious.git"), "restored", "dana", token);
            Assert.True(fresh.Succeeded, "the token from before the backup no longer works:\n" + fresh);
            Assert.Equal("worth keeping\n", await File.ReadAllTextAsync(Path.Combine(git.WorkDirectory, "restored", "notes.txt")));
            Assert.Equal(pushed, (await git.RunAsync(Path.Combine(git.WorkDirectory, "restored"), null, null, "rev-parse", "HEAD")).Output.Trim());
            using (var http = new HttpClient())
            {
                var oid = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(LargeFile));
                var batch = await Lfs.BatchAsync(http, again.Url("/dana/precious.git/info/lfs/objects/batch"), "dana", token, "download", oid, LargeFile.Length);
                var download = batch.Body.GetProperty("objects")[0].GetProperty("actions").GetProperty("download");
                using var get = new HttpRequestMessage(HttpMethod.Get, download.GetProperty("href").GetString());
                get.Headers.TryAddWithoutValidation("Authorization", download.GetProperty("header").GetProperty("Authorization").GetString());
                using var response = await http.SendAsync(get);
                Assert.Equal(LargeFile, await response.Content.ReadAsByteArrayAsync());
            }
            using var web2 = again.NewBrowserSession();
            await web2.SignInAsync("dana", Password);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(backup)!, recursive: true);
            Directory.Delete(Path.GetDirectoryName(restored)!, recursive: true);
        }
    }

    [Fact]
    public async Task Restore_refuses_a_folder_that_is_not_a_backup_and_a_data_directory_that_is_not_empty()
    {
        var empty = Directory.CreateTempSubdirectory("latchkey-notabackup-").FullName;
        var used = Directory.CreateTempSubdirectory("latchkey-used-").FullName;
        try
        {
            var (exit, output) = await ScriptAsync("restore.sh", empty, Path.Combine(empty, "data"));
            Assert.Equal(1, exit);
            Assert.Contains("not a Latchkey backup", output, StringComparison.Ordinal);

            await File.WriteAllTextAsync(Path.Combine(empty, "repositories.tar"), "");
            await File.WriteAllTextAsync(Path.Combine(used, "latchkey.db"), "in use");
            (exit, output) = await ScriptAsync("restore.sh", empty, used);
            Assert.Equal(1, exit);
            Assert.Contains("is not empty", output, StringComparison.Ordinal);
            Assert.Equal("in use", await File.ReadAllTextAsync(Path.Combine(used, "latchkey.db")));

            (exit, output) = await ScriptAsync("backup.sh", empty);
            Assert.Equal(2, exit);
            Assert.Contains("usage:", output, StringComparison.Ordinal);

            // A data directory without its database (a PostgreSQL site without LATCHKEY_PG_URL) is not backed up as empty.
            Directory.CreateDirectory(Path.Combine(empty, "repositories"));
            (exit, output) = await ScriptAsync("backup.sh", empty, Path.Combine(used, "backup"));
            Assert.Equal(1, exit);
            Assert.Contains("holds no latchkey.db", output, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(empty, "latchkey.db")), "the backup created a database");
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
            Directory.Delete(used, recursive: true);
        }
    }
}
