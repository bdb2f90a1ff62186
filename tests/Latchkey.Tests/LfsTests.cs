using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.Tests;

/// <summary>
/// Git LFS with the real git-lfs client: objects pushed with the username and a token as password
/// come back byte-identical in another clone; the token's scopes and permissions decide uploads and
/// downloads as they decide pushes and clones; a deleted token stops at once, on the next batch
/// request and on the transfer links it was given; a corrupted upload leaves nothing.
/// </summary>
public sealed class LfsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "large files passphrase";
    private LatchkeyServer Server => fixture.Server;

    private static readonly Dictionary<string, PermissionLevel> ContentsRead = Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read));

    private async Task<string> OwnerAsync(string stem, string repo, bool isPrivate)
    {
        var owner = fixture.NewUsername(stem);
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(owner, Password);
        await web.CreateRepositoryAsync(repo, isPrivate: isPrivate, addReadme: true);
        return owner;
    }

    [ClientFact("git-lfs", "git lfs version")]
    public async Task Three_objects_one_of_200_MB_pushed_with_a_token_come_back_byte_identical_in_another_clone()
    {
        var owner = await OwnerAsync("lfsowner", "media", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        var url = Server.Url($"/{owner}/media.git");
        using var git = new GitClient { Timeout = TimeSpan.FromMinutes(5) };

        var clone = await git.CloneAsync(url, "media", owner, token);
        Assert.True(clone.Succeeded, clone.ToString());
        var work = Path.Combine(git.WorkDirectory, "media");
        await Lfs.TrackAsync(git, work, "*.bin");
        var files = new Dictionary<string, string>
        {
            ["big.bin"] = Lfs.WriteRandom(Path.Combine(work, "big.bin"), 200L * 1024 * 1024, seed: 1),
            ["assets/one.bin"] = Lfs.WriteRandom(Path.Combine(work, "assets", "one.bin"), 1024 * 1024 + 7, seed: 2),
            ["assets/small.bin"] = Lfs.WriteRandom(Path.Combine(work, "assets", "small.bin"), 10_000, seed: 3),
        };
        await Lfs.CommitAllAsync(git, work, "Add large files");
        var push = await git.PushAsync(work, url, owner, token);
        Assert.True(push.Succeeded, push.ToString());

        // The repository holds pointers; the server holds the bytes, named by their SHA-256.
        var pointer = await git.RunAsync(work, null, null, "cat-file", "-p", "HEAD:big.bin");
        Assert.StartsWith("version https://git-lfs.github.com/spec/v1", pointer.Output, StringComparison.Ordinal);
        foreach (var oid in files.Values)
            Assert.True(File.Exists(Path.Combine(Server.DataDirectory, "lfs", oid[..2], oid[2..4], oid)), $"object {oid} is not stored");

        using var elsewhere = new GitClient { Timeout = TimeSpan.FromMinutes(5) };
        await Lfs.InstallAsync(elsewhere);
        var second = await elsewhere.CloneAsync(url, "copy", owner, token);
        Assert.True(second.Succeeded, second.ToString());
        foreach (var (path, oid) in files)
            Assert.Equal(oid, Lfs.Sha256(Path.Combine(elsewhere.WorkDirectory, "copy", path)));
    }

    [ClientFact("git-lfs", "git lfs version")]
    public async Task A_token_in_http_extra_header_as_ci_systems_set_it_pushes_and_fetches_objects()
    {
        var owner = await OwnerAsync("lfsci", "build", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        var url = Server.Url($"/{owner}/build.git");
        // git-lfs sends the extra header on the transfers too, beside the link's own Authorization.
        var header = "http.extraHeader=Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{owner}:{token}"));
        using var git = new GitClient();
        Assert.True((await git.RunAsync(null, null, null, "-c", header, "clone", url, "build")).Succeeded);
        var work = Path.Combine(git.WorkDirectory, "build");
        await Lfs.TrackAsync(git, work, "*.bin");
        var oid = Lfs.WriteRandom(Path.Combine(work, "artifact.bin"), 500_000, seed: 17);
        await Lfs.CommitAllAsync(git, work, "Add the artifact");
        var push = await git.RunAsync(work, null, null, "-c", header, "push", url, "main");
        Assert.True(push.Succeeded, push.ToString());

        using var elsewhere = new GitClient();
        await Lfs.InstallAsync(elsewhere);
        var clone = await elsewhere.RunAsync(null, null, null, "-c", header, "clone", url, "copy");
        Assert.True(clone.Succeeded, clone.ToString());
        Assert.Equal(oid, Lfs.Sha256(Path.Combine(elsewhere.WorkDirectory, "copy", "artifact.bin")));
    }

    [ClientFact("git-lfs", "git lfs version")]
    public async Task A_contents_read_token_fetches_but_cannot_upload_and_a_token_without_scopes_cannot_upload()
    {
        var owner = await OwnerAsync("lfsreader", "art", isPrivate: true);
        var writer = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        var url = Server.Url($"/{owner}/art.git");
        using var git = new GitClient();
        var oid = await Lfs.PushOneAsync(git, url, owner, writer, "art", "picture.bin", 300_000, seed: 4);

        var reader = await Server.IssueAsync(owner, RepositoryAccess.Selected, [$"{owner}/art"], ContentsRead);
        using var readerGit = new GitClient();
        await Lfs.InstallAsync(readerGit);
        var clone = await readerGit.CloneAsync(url, "art", owner, reader);
        Assert.True(clone.Succeeded, clone.ToString());
        var readerWork = Path.Combine(readerGit.WorkDirectory, "art");
        Assert.Equal(oid, Lfs.Sha256(Path.Combine(readerWork, "picture.bin")));

        Lfs.WriteRandom(Path.Combine(readerWork, "another.bin"), 5000, seed: 5);
        await Lfs.CommitAllAsync(readerGit, readerWork, "Add another");
        var refused = await readerGit.PushAsync(readerWork, url, owner, reader);
        Assert.False(refused.Succeeded, "a Contents read token uploaded an LFS object:\n" + refused);
        Assert.Contains("Contents: Read and write", refused.Error, StringComparison.Ordinal);

        // A classic token without scopes sees a public repository but may not upload to it.
        var publicOwner = await OwnerAsync("lfsnoscope", "open", isPrivate: false);
        var publicWriter = await Server.IssueClassicAsync(publicOwner, [Scopes.PublicRepo]);
        var publicUrl = Server.Url($"/{publicOwner}/open.git");
        using var publicGit = new GitClient();
        await Lfs.PushOneAsync(publicGit, publicUrl, publicOwner, publicWriter, "open", "first.bin", 2000, seed: 6);
        var noScopes = await Server.IssueClassicAsync(publicOwner, []);
        var work = Path.Combine(publicGit.WorkDirectory, "open");
        Lfs.WriteRandom(Path.Combine(work, "second.bin"), 3000, seed: 7);
        await Lfs.CommitAllAsync(publicGit, work, "Add second");
        var noScopePush = await publicGit.PushAsync(work, publicUrl, publicOwner, noScopes);
        Assert.False(noScopePush.Succeeded, "a token without scopes uploaded an LFS object");
        Assert.Contains($"Permission to {publicOwner}/open.git denied to {publicOwner}.", noScopePush.Error, StringComparison.Ordinal);

        // Anyone downloads from a public repository, without credentials.
        using var anonymous = new GitClient();
        await Lfs.InstallAsync(anonymous);
        var anonymousClone = await anonymous.CloneAsync(publicUrl, "open");
        Assert.True(anonymousClone.Succeeded, anonymousClone.ToString());
        Assert.Equal(Lfs.Sha256(Path.Combine(work, "first.bin")), Lfs.Sha256(Path.Combine(anonymous.WorkDirectory, "open", "first.bin")));
    }

    [ClientFact("git-lfs", "git lfs version")]
    public async Task A_deleted_token_is_refused_at_once_on_the_next_push_and_on_the_links_it_was_given()
    {
        var owner = await OwnerAsync("lfsdeleted", "game", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        var url = Server.Url($"/{owner}/game.git");
        using var git = new GitClient();
        await Lfs.PushOneAsync(git, url, owner, token, "game", "level1.bin", 4000, seed: 8);

        // A batch answer's upload link, then the token is deleted before the upload starts.
        var content = RandomBytes(2048, seed: 9);
        var oid = Convert.ToHexStringLower(SHA256.HashData(content));
        using var http = new HttpClient();
        var batch = await Lfs.BatchAsync(http, Server.Url($"/{owner}/game.git/info/lfs/objects/batch"), owner, token, "upload", oid, content.Length);
        Assert.Equal(HttpStatusCode.OK, batch.Status);
        var upload = batch.Body.GetProperty("objects")[0].GetProperty("actions").GetProperty("upload");
        Assert.DoesNotContain(token, upload.GetRawText(), StringComparison.Ordinal);
        Assert.True(upload.GetProperty("expires_in").GetInt32() > 0);

        await DeleteTokenAsync(token);

        using var put = new HttpRequestMessage(HttpMethod.Put, upload.GetProperty("href").GetString()) { Content = new ByteArrayContent(content) };
        put.Headers.TryAddWithoutValidation("Authorization", upload.GetProperty("header").GetProperty("Authorization").GetString());
        var refusedUpload = await http.SendAsync(put);
        Assert.Equal(HttpStatusCode.Unauthorized, refusedUpload.StatusCode);
        Assert.Contains("revoked", await refusedUpload.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Server.DataDirectory, "lfs", oid[..2], oid[2..4], oid)));

        var work = Path.Combine(git.WorkDirectory, "game");
        Lfs.WriteRandom(Path.Combine(work, "level2.bin"), 4000, seed: 10);
        await Lfs.CommitAllAsync(git, work, "Add level 2");
        var push = await git.PushAsync(work, url, owner, token);
        Assert.False(push.Succeeded, "a deleted token uploaded:\n" + push);
        Assert.Contains("Invalid username or token", push.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upload_whose_bytes_do_not_hash_to_its_oid_is_refused_and_nothing_is_stored()
    {
        var owner = await OwnerAsync("lfscorrupt", "data", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        var content = RandomBytes(100_000, seed: 11);
        var oid = Convert.ToHexStringLower(SHA256.HashData(content));
        using var http = new HttpClient();
        var batchUrl = Server.Url($"/{owner}/data.git/info/lfs/objects/batch");
        var batch = await Lfs.BatchAsync(http, batchUrl, owner, token, "upload", oid, content.Length);
        var upload = batch.Body.GetProperty("objects")[0].GetProperty("actions").GetProperty("upload");

        var corrupted = content.ToArray();
        corrupted[5000] ^= 0xFF;
        using var put = new HttpRequestMessage(HttpMethod.Put, upload.GetProperty("href").GetString()) { Content = new ByteArrayContent(corrupted) };
        put.Headers.TryAddWithoutValidation("Authorization", upload.GetProperty("header").GetProperty("Authorization").GetString());
        var response = await http.SendAsync(put);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("does not hash to", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.False(File.Exists(Path.Combine(Server.DataDirectory, "lfs", oid[..2], oid[2..4], oid)));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(Server.DataDirectory, "lfs", "incoming")), f => Path.GetFileName(f).StartsWith(oid, StringComparison.Ordinal));
        var download = await Lfs.BatchAsync(http, batchUrl, owner, token, "download", oid, content.Length);
        Assert.Equal(404, download.Body.GetProperty("objects")[0].GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_large_upload_wrong_only_in_its_last_byte_is_refused_and_the_right_one_then_stored_byte_identical()
    {
        // Several MiB, not a whole number of the server's steps: the hash must cover every byte of every piece.
        var owner = await OwnerAsync("lfstail", "data", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        var content = RandomBytes(3 * 1024 * 1024 + 12_345, seed: 12);
        var oid = Convert.ToHexStringLower(SHA256.HashData(content));
        using var http = new HttpClient();
        var batch = await Lfs.BatchAsync(http, Server.Url($"/{owner}/data.git/info/lfs/objects/batch"), owner, token, "upload", oid, content.Length);
        var upload = batch.Body.GetProperty("objects")[0].GetProperty("actions").GetProperty("upload");
        async Task<HttpResponseMessage> PutAsync(byte[] bytes)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, upload.GetProperty("href").GetString()) { Content = new ByteArrayContent(bytes) };
            put.Headers.TryAddWithoutValidation("Authorization", upload.GetProperty("header").GetProperty("Authorization").GetString());
            return await http.SendAsync(put);
        }
        var stored = Path.Combine(Server.DataDirectory, "lfs", oid[..2], oid[2..4], oid);

        var corrupted = content.ToArray();
        corrupted[^1] ^= 0x01;
        var refused = await PutAsync(corrupted);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("does not hash to", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(File.Exists(stored));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(Server.DataDirectory, "lfs", "incoming")), f => Path.GetFileName(f).StartsWith(oid, StringComparison.Ordinal));

        var accepted = await PutAsync(content);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(content, await File.ReadAllBytesAsync(stored));
    }

    [Fact]
    public async Task An_upload_cut_off_midway_leaves_nothing_and_a_crashs_leftover_is_swept_at_the_next_start()
    {
        var owner = await OwnerAsync("lfscut", "clip", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        var content = RandomBytes(4 * 1024 * 1024, seed: 16);
        var oid = Convert.ToHexStringLower(SHA256.HashData(content));
        using var http = new HttpClient();
        var batch = await Lfs.BatchAsync(http, Server.Url($"/{owner}/clip.git/info/lfs/objects/batch"), owner, token, "upload", oid, content.Length);
        var upload = batch.Body.GetProperty("objects")[0].GetProperty("actions").GetProperty("upload");
        using var put = new HttpRequestMessage(HttpMethod.Put, upload.GetProperty("href").GetString()) { Content = new HalfThenFail(content) };
        put.Headers.TryAddWithoutValidation("Authorization", upload.GetProperty("header").GetProperty("Authorization").GetString());
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.SendAsync(put));

        var incoming = Path.Combine(Server.DataDirectory, "lfs", "incoming");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Directory.EnumerateFiles(incoming).Any(f => Path.GetFileName(f).StartsWith(oid, StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.DoesNotContain(Directory.EnumerateFiles(incoming), f => Path.GetFileName(f).StartsWith(oid, StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(Server.DataDirectory, "lfs", oid[..2], oid[2..4], oid)));

        // What a killed server leaves (it cannot clean up after itself) goes when the next one starts.
        var data = Directory.CreateTempSubdirectory("latchkey-lfs-sweep-").FullName;
        try
        {
            await using (await LatchkeyServer.StartAsync(reuseDataDirectory: data))
            {
            }
            var leftover = Path.Combine(data, "lfs", "incoming", oid + ".crashed");
            Directory.CreateDirectory(Path.GetDirectoryName(leftover)!);
            await File.WriteAllBytesAsync(leftover, content.AsMemory(0, 1000).ToArray());
            // Older than any upload may run (Git:MaxPushMinutes): stale also where nodes share the data directory (PostgreSQL).
            File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddHours(-3));
            await using (await LatchkeyServer.StartAsync(reuseDataDirectory: data))
                Assert.False(File.Exists(leftover), "a staged upload a crash left survived the next start");
        }
        finally
        {
            await TestDatabase.DropAsync(data);
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>A request body that sends half its bytes and then fails, as a client that dies midway.</summary>
    private sealed class HalfThenFail(byte[] content) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(content.AsMemory(0, content.Length / 2));
            await stream.FlushAsync();
            throw new IOException("the client died");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = content.Length;
            return true;
        }
    }

    [Fact]
    public async Task A_private_repository_challenges_an_anonymous_batch_request_and_hides_from_a_stranger()
    {
        var owner = await OwnerAsync("lfschallenge", "secret", isPrivate: true);
        var stranger = await OwnerAsync("lfsstranger", "own", isPrivate: true);
        var strangerToken = await Server.IssueClassicAsync(stranger, [Scopes.Repo]);
        using var http = new HttpClient();
        var batchUrl = Server.Url($"/{owner}/secret.git/info/lfs/objects/batch");
        var oid = new string('a', 64);

        var anonymous = await Lfs.BatchAsync(http, batchUrl, null, null, "download", oid, 1);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Contains("Basic", anonymous.Authenticate, StringComparison.Ordinal);
        Assert.Contains("personal access token", anonymous.Body.GetProperty("message").GetString(), StringComparison.Ordinal);

        var hidden = await Lfs.BatchAsync(http, batchUrl, stranger, strangerToken, "download", oid, 1);
        Assert.Equal(HttpStatusCode.NotFound, hidden.Status);
        var missing = await Lfs.BatchAsync(http, Server.Url($"/{owner}/nothing-here.git/info/lfs/objects/batch"), stranger, strangerToken, "download", oid, 1);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal(hidden.Body.GetProperty("message").GetString(), missing.Body.GetProperty("message").GetString());

        var password = await Lfs.BatchAsync(http, batchUrl, owner, Password, "download", oid, 1);
        Assert.Equal(HttpStatusCode.Unauthorized, password.Status);
        Assert.Contains("Use a personal access token as the password", password.Body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_batch_requests_are_answered_with_a_message_never_a_server_error()
    {
        var owner = await OwnerAsync("lfsmalformed", "bad", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        using var http = new HttpClient();
        var batchUrl = Server.Url($"/{owner}/bad.git/info/lfs/objects/batch");
        string[] bodies =
        [
            "not json", "[]", "{\"operation\":\"delete\",\"objects\":[]}", "{\"operation\":\"upload\",\"objects\":[]}",
            "{\"operation\":\"upload\",\"objects\":\"x\"}", "{\"operation\":\"upload\",\"transfers\":[\"tus\"],\"objects\":[{\"oid\":\"" + new string('b', 64) + "\",\"size\":1}]}",
        ];
        foreach (var body in bodies)
        {
            using var request = Lfs.Request(HttpMethod.Post, batchUrl, owner, token, body);
            var response = await http.SendAsync(request);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{body} → {(int)response.StatusCode}");
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("message").GetString()), body);
        }

        // Per-object problems are per-object errors in a 200 answer.
        var oddObjects = "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"../../etc/passwd\",\"size\":1},{\"oid\":\"" + new string('c', 64) + "\",\"size\":-5},{\"oid\":7}]}";
        using var odd = Lfs.Request(HttpMethod.Post, batchUrl, owner, token, oddObjects);
        var oddResponse = await http.SendAsync(odd);
        Assert.Equal(HttpStatusCode.OK, oddResponse.StatusCode);
        var objects = JsonDocument.Parse(await oddResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("objects");
        Assert.Equal(3, objects.GetArrayLength());
        foreach (var o in objects.EnumerateArray())
            Assert.Equal(422, o.GetProperty("error").GetProperty("code").GetInt32());
    }

    [ClientFact("git-lfs", "git lfs version")]
    public async Task Locks_are_taken_listed_and_released_and_only_an_administrator_breaks_someone_elses()
    {
        var owner = await OwnerAsync("lfslocker", "design", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        var url = Server.Url($"/{owner}/design.git");
        using var git = new GitClient();
        await Lfs.PushOneAsync(git, url, owner, token, "design", "model.bin", 1000, seed: 12);
        var work = Path.Combine(git.WorkDirectory, "design");

        var locked = await git.RunAsync(work, owner, token, "lfs", "lock", "model.bin");
        Assert.True(locked.Succeeded, locked.ToString());
        Assert.Contains("Locked model.bin", locked.Output + locked.Error, StringComparison.Ordinal);
        var again = await git.RunAsync(work, owner, token, "lfs", "lock", "model.bin");
        Assert.False(again.Succeeded, "a locked file was locked twice");
        Assert.Contains($"already locked by {owner}", again.Output + again.Error, StringComparison.Ordinal);

        var list = await git.RunAsync(work, owner, token, "lfs", "locks");
        Assert.True(list.Succeeded, list.ToString());
        Assert.Contains("model.bin", list.Output, StringComparison.Ordinal);
        Assert.Contains(owner, list.Output, StringComparison.Ordinal);

        // A collaborator with push access sees the lock but may neither release it nor force it.
        var guest = fixture.NewUsername("lfsguest");
        using (var signup = Server.NewBrowserSession())
            await signup.SignUpAsync(guest, Password);
        await Lfs.AddCollaboratorAsync(Server, owner, "design", guest);
        var guestToken = await Server.IssueClassicAsync(guest, [Scopes.Repo]);
        using var guestGit = new GitClient();
        await Lfs.InstallAsync(guestGit);
        Assert.True((await guestGit.CloneAsync(url, "design", guest, guestToken)).Succeeded);
        var guestWork = Path.Combine(guestGit.WorkDirectory, "design");
        var guestList = await guestGit.RunAsync(guestWork, guest, guestToken, "lfs", "locks");
        Assert.Contains("model.bin", guestList.Output, StringComparison.Ordinal);
        var guestUnlock = await guestGit.RunAsync(guestWork, guest, guestToken, "lfs", "unlock", "model.bin");
        Assert.False(guestUnlock.Succeeded, "a collaborator released someone else's lock");
        var guestForce = await guestGit.RunAsync(guestWork, guest, guestToken, "lfs", "unlock", "--force", "model.bin");
        Assert.False(guestForce.Succeeded, "a collaborator without administration forced a lock");
        Assert.Contains("Only an administrator", guestForce.Output + guestForce.Error, StringComparison.Ordinal);

        // The guest's own lock: the owner (the repository's administrator) breaks it with --force.
        var guestLock = await guestGit.RunAsync(guestWork, guest, guestToken, "lfs", "lock", "README.md");
        Assert.True(guestLock.Succeeded, guestLock.ToString());
        var forced = await git.RunAsync(work, owner, token, "lfs", "unlock", "--force", "README.md");
        Assert.True(forced.Succeeded, forced.ToString());

        var unlocked = await git.RunAsync(work, owner, token, "lfs", "unlock", "model.bin");
        Assert.True(unlocked.Succeeded, unlocked.ToString());
        var empty = await git.RunAsync(work, owner, token, "lfs", "locks");
        Assert.DoesNotContain("model.bin", empty.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("README.md", empty.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_repository_frees_the_objects_only_it_held()
    {
        var owner = await OwnerAsync("lfsgc", "keep", isPrivate: true);
        using (var web = Server.NewBrowserSession())
        {
            await web.SignInAsync(owner, Password);
            await web.CreateRepositoryAsync("drop", isPrivate: true, addReadme: true);
        }
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        using var http = new HttpClient();
        var shared = RandomBytes(5000, seed: 13);
        var own = RandomBytes(6000, seed: 14);
        await Lfs.UploadAsync(http, Server.Url($"/{owner}/keep.git/info/lfs/objects/batch"), owner, token, shared);
        await Lfs.UploadAsync(http, Server.Url($"/{owner}/drop.git/info/lfs/objects/batch"), owner, token, shared);
        await Lfs.UploadAsync(http, Server.Url($"/{owner}/drop.git/info/lfs/objects/batch"), owner, token, own);
        string PathOf(byte[] content)
        {
            var oid = Convert.ToHexStringLower(SHA256.HashData(content));
            return Path.Combine(Server.DataDirectory, "lfs", oid[..2], oid[2..4], oid);
        }
        Assert.True(File.Exists(PathOf(shared)));
        Assert.True(File.Exists(PathOf(own)));

        using (var scope = Server.Services.CreateScope())
        {
            var repositories = scope.ServiceProvider.GetRequiredService<Latchkey.Repositories.RepositoryService>();
            var drop = await repositories.FindAsync(owner, "drop", CancellationToken.None);
            await repositories.DeleteAsync(drop!, CancellationToken.None);
        }
        Assert.False(File.Exists(PathOf(own)), "an object only the deleted repository held was kept");
        Assert.True(File.Exists(PathOf(shared)), "an object another repository holds was removed");
        var download = await Lfs.BatchAsync(http, Server.Url($"/{owner}/keep.git/info/lfs/objects/batch"), owner, token, "download",
            Convert.ToHexStringLower(SHA256.HashData(shared)), shared.Length);
        Assert.True(download.Body.GetProperty("objects")[0].TryGetProperty("actions", out _), download.Body.ToString());
    }

    [Fact]
    public async Task An_object_another_repository_holds_is_not_downloadable_from_a_repository_that_was_never_given_it()
    {
        var owner = await OwnerAsync("lfsvictim", "private", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        var thief = await OwnerAsync("lfsthief", "mine", isPrivate: true);
        var thiefToken = await Server.IssueClassicAsync(thief, [Scopes.Repo]);
        using var http = new HttpClient();
        var secret = RandomBytes(4096, seed: 15);
        var oid = Convert.ToHexStringLower(SHA256.HashData(secret));
        await Lfs.UploadAsync(http, Server.Url($"/{owner}/private.git/info/lfs/objects/batch"), owner, token, secret);

        var mineUrl = Server.Url($"/{thief}/mine.git/info/lfs/objects/batch");
        var download = await Lfs.BatchAsync(http, mineUrl, thief, thiefToken, "download", oid, secret.Length);
        Assert.Equal(404, download.Body.GetProperty("objects")[0].GetProperty("error").GetProperty("code").GetInt32());
        // Claiming it by upload needs the bytes: the server asks for them although it has them.
        var upload = await Lfs.BatchAsync(http, mineUrl, thief, thiefToken, "upload", oid, secret.Length);
        Assert.True(upload.Body.GetProperty("objects")[0].GetProperty("actions").TryGetProperty("upload", out _));
        var direct = await http.SendAsync(Lfs.Request(HttpMethod.Get, Server.Url($"/{thief}/mine.git/info/lfs/objects/{oid}"), thief, thiefToken, null));
        Assert.Equal(HttpStatusCode.NotFound, direct.StatusCode);
    }

    [Fact]
    public async Task The_web_raw_and_contents_views_show_the_file_behind_a_pointer_and_settings_show_the_usage()
    {
        var owner = await OwnerAsync("lfsviewer", "site", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        using var http = new HttpClient();
        var batchUrl = Server.Url($"/{owner}/site.git/info/lfs/objects/batch");
        var picture = RandomBytes(70_000, seed: 30);
        var archive = RandomBytes(50_000, seed: 31);
        await Lfs.UploadAsync(http, batchUrl, owner, token, picture);
        await Lfs.UploadAsync(http, batchUrl, owner, token, archive);

        // Pointers committed as git-lfs writes them (plain git: no git-lfs needed to commit a pointer).
        using var git = new GitClient();
        Assert.True((await git.CloneAsync(Server.Url($"/{owner}/site.git"), "site", owner, token)).Succeeded);
        await File.WriteAllTextAsync(Path.Combine(git.WorkDirectory, "site", "logo.png"), Lfs.PointerFile(picture));
        await File.WriteAllTextAsync(Path.Combine(git.WorkDirectory, "site", "data.zip"), Lfs.PointerFile(archive));
        await git.CommitFileAsync("site", "missing.bin", Lfs.PointerFile(RandomBytes(10, seed: 32)), "Add pointers");
        Assert.True((await git.PushAsync(Path.Combine(git.WorkDirectory, "site"), Server.Url($"/{owner}/site.git"), owner, token)).Succeeded);

        using var web = Server.NewBrowserSession();
        await web.SignInAsync(owner, Password);
        var (status, logoPage) = await web.GetAsync($"/{owner}/site/blob/main/logo.png");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Stored with Git LFS", logoPage, StringComparison.Ordinal);
        Assert.Contains($"data-lfs-image", logoPage, StringComparison.Ordinal);
        Assert.Contains("68.4 KiB", logoPage, StringComparison.Ordinal);
        var (_, zipPage) = await web.GetAsync($"/{owner}/site/blob/main/data.zip");
        Assert.Contains("data-lfs-download", zipPage, StringComparison.Ordinal);
        Assert.DoesNotContain("data-lfs-image", zipPage, StringComparison.Ordinal);
        var (_, missingPage) = await web.GetAsync($"/{owner}/site/blob/main/missing.bin");
        Assert.Contains("has not been pushed to this server", missingPage, StringComparison.Ordinal);

        using var logo = await web.Http.GetAsync($"{owner}/site/raw/main/logo.png");
        Assert.Equal("image/png", logo.Content.Headers.ContentType?.MediaType);
        Assert.Equal(picture, await logo.Content.ReadAsByteArrayAsync());
        using var zip = await web.Http.GetAsync($"{owner}/site/raw/main/data.zip");
        Assert.Equal("application/octet-stream", zip.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", zip.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal(archive, await zip.Content.ReadAsByteArrayAsync());

        using var contents = new HttpRequestMessage(HttpMethod.Get, Server.Url($"/api/v3/repos/{owner}/site/contents/data.zip"));
        contents.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        contents.Headers.Accept.ParseAdd("application/vnd.github.raw");
        using var raw = await http.SendAsync(contents);
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal(archive, await raw.Content.ReadAsByteArrayAsync());

        var (_, settings) = await web.GetAsync($"/{owner}/site/settings");
        Assert.Contains("This repository holds 2 Git LFS objects, 117.2 KiB, of its 10 GiB quota.", settings, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Archives_carry_the_files_behind_pointers_once_the_setting_is_on()
    {
        var owner = await OwnerAsync("lfsarchive", "release", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        using var http = new HttpClient();
        var model = RandomBytes(200_000, seed: 33);
        await Lfs.UploadAsync(http, Server.Url($"/{owner}/release.git/info/lfs/objects/batch"), owner, token, model);
        using var git = new GitClient();
        Assert.True((await git.CloneAsync(Server.Url($"/{owner}/release.git"), "release", owner, token)).Succeeded);
        var work = Path.Combine(git.WorkDirectory, "release");
        await File.WriteAllTextAsync(Path.Combine(work, "run.sh"), "#!/bin/sh\necho run\n");
        File.SetUnixFileMode(Path.Combine(work, "run.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.True((await git.RunAsync(work, null, null, "add", "run.sh")).Succeeded);
        await git.CommitFileAsync("release", "models/model.bin", Lfs.PointerFile(model), "Add the model");
        Assert.True((await git.PushAsync(work, Server.Url($"/{owner}/release.git"), owner, token)).Succeeded);

        using var web = Server.NewBrowserSession();
        await web.SignInAsync(owner, Password);
        async Task<Dictionary<string, byte[]>> TarballAsync()
        {
            using var response = await web.Http.GetAsync($"{owner}/release/archive/refs/heads/main.tar.gz");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var files = new Dictionary<string, byte[]>();
            await using var gzip = new System.IO.Compression.GZipStream(await response.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
            await using var tar = new System.Formats.Tar.TarReader(gzip);
            while (await tar.GetNextEntryAsync() is { } entry)
            {
                if (entry.DataStream is null || entry.EntryType is not (System.Formats.Tar.TarEntryType.RegularFile or System.Formats.Tar.TarEntryType.V7RegularFile))
                    continue;
                using var copy = new MemoryStream();
                await entry.DataStream.CopyToAsync(copy);
                files[entry.Name] = copy.ToArray();
                if (entry.Name.EndsWith("run.sh", StringComparison.Ordinal))
                    Assert.True(entry.Mode.HasFlag(UnixFileMode.UserExecute), "the executable lost its mode");
            }
            return files;
        }

        var before = await TarballAsync();
        Assert.Equal(Lfs.PointerFile(model), Encoding.ASCII.GetString(before["release-main/models/model.bin"]));

        using (var save = await web.PostFormAsync($"/{owner}/release/settings", [new("includeLfs", "true")], $"/{owner}/release/settings?handler=Archives"))
            Assert.Equal(HttpStatusCode.Redirect, save.StatusCode);
        var (_, settings) = await web.GetAsync($"/{owner}/release/settings");
        Assert.Contains("Archives of this repository now include Git LFS objects.", settings, StringComparison.Ordinal);

        var after = await TarballAsync();
        Assert.Equal(model, after["release-main/models/model.bin"]);
        Assert.Equal("#!/bin/sh\necho run\n", Encoding.ASCII.GetString(after["release-main/run.sh"]));
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));

        using var zipResponse = await web.Http.GetAsync($"{owner}/release/archive/refs/heads/main.zip");
        Assert.Equal(HttpStatusCode.OK, zipResponse.StatusCode);
        using var zip = new System.IO.Compression.ZipArchive(new MemoryStream(await zipResponse.Content.ReadAsByteArrayAsync()));
        using (var entry = zip.GetEntry("release-main/models/model.bin")!.Open())
        using (var copy = new MemoryStream())
        {
            await entry.CopyToAsync(copy);
            Assert.Equal(model, copy.ToArray());
        }
        Assert.Equal(0x1ED, (zip.GetEntry("release-main/run.sh")!.ExternalAttributes >> 16) & 0x1FF);
        Assert.NotNull(zip.GetEntry("release-main/README.md"));
        Assert.Equal((await git.RunAsync(work, null, null, "rev-parse", "HEAD")).Output.Trim(), zip.Comment);
    }

    [Fact]
    public async Task A_text_object_holding_a_live_token_is_refused_and_the_token_revoked()
    {
        var owner = await OwnerAsync("lfsleak", "config", isPrivate: true);
        var token = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        var leaked = await Server.IssueClassicAsync(owner, [Scopes.Repo]);
        using var http = new HttpClient();
        var content = Encoding.UTF8.GetBytes($"deploy:\n  token: {leaked}\n" + new string('#', 2000) + "\n");
        var oid = Convert.ToHexStringLower(SHA256.HashData(content));
        var batch = await Lfs.BatchAsync(http, Server.Url($"/{owner}/config.git/info/lfs/objects/batch"), owner, token, "upload", oid, content.Length);
        var upload = batch.Body.GetProperty("objects")[0].GetProperty("actions").GetProperty("upload");
        using var put = new HttpRequestMessage(HttpMethod.Put, upload.GetProperty("href").GetString()) { Content = new ByteArrayContent(content) };
        put.Headers.TryAddWithoutValidation("Authorization", upload.GetProperty("header").GetProperty("Authorization").GetString());
        using var response = await http.SendAsync(put);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var message = await response.Content.ReadAsStringAsync();
        Assert.Contains("Push cannot contain secrets", message, StringComparison.Ordinal);
        Assert.DoesNotContain(leaked, message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Server.DataDirectory, "lfs", oid[..2], oid[2..4], oid)));

        using var scope = Server.Services.CreateScope();
        var verifier = scope.ServiceProvider.GetRequiredService<TokenVerifier>();
        Assert.Equal(TokenCheckResult.Unknown, (await verifier.VerifyAsync(leaked, new TokenUse(null, null), CancellationToken.None)).Result);
        Assert.Equal(TokenCheckResult.Valid, (await verifier.VerifyAsync(token, new TokenUse(null, null), CancellationToken.None)).Result);
    }

    private async Task DeleteTokenAsync(string plaintext)
    {
        using var scope = Server.Services.CreateScope();
        var check = await scope.ServiceProvider.GetRequiredService<TokenVerifier>().VerifyAsync(plaintext, new TokenUse(null, null), CancellationToken.None);
        Assert.True(await scope.ServiceProvider.GetRequiredService<TokenIssuer>().DeleteAsync(check.User!.Id, check.Token!.Id, CancellationToken.None));
    }

    internal static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

/// <summary>
/// A server with small Git LFS limits (1 MiB objects, 2 MiB per repository), for the refusals a user
/// sees in the terminal when a push is too large.
/// </summary>
public sealed class LfsLimitTests : IAsyncLifetime
{
    private const string Password = "large files limits passphrase";
    private LatchkeyServer? _server;
    private LatchkeyServer Server => _server!;

    public async Task InitializeAsync() => _server = await LatchkeyServer.StartAsync(new Dictionary<string, string>
    {
        ["Lfs:MaxObjectSize"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lfs:RepositoryQuotaBytes"] = (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    [ClientFact("git-lfs", "git lfs version")]
    public async Task A_push_over_the_quota_or_the_object_size_limit_is_refused_with_the_reason_in_the_terminal()
    {
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync("limited", Password);
        await web.CreateRepositoryAsync("big", isPrivate: true, addReadme: true);
        var token = await Server.IssueClassicAsync("limited", [Scopes.Repo]);
        var url = Server.Url("/limited/big.git");
        using var git = new GitClient();
        await Lfs.PushOneAsync(git, url, "limited", token, "big", "first.bin", 900 * 1024, seed: 20);
        var work = Path.Combine(git.WorkDirectory, "big");

        Lfs.WriteRandom(Path.Combine(work, "huge.bin"), 1024 * 1024 + 1, seed: 21);
        await Lfs.CommitAllAsync(git, work, "Add huge");
        var tooBig = await git.PushAsync(work, url, "limited", token);
        Assert.False(tooBig.Succeeded, "an object over Lfs:MaxObjectSize was pushed");
        Assert.Contains("Git LFS objects on this server may be at most 1 MiB", tooBig.Error, StringComparison.Ordinal);

        Assert.True((await git.RunAsync(work, null, null, "reset", "--hard", "HEAD~1")).Succeeded);
        Lfs.WriteRandom(Path.Combine(work, "second.bin"), 900 * 1024, seed: 22);
        Lfs.WriteRandom(Path.Combine(work, "third.bin"), 900 * 1024, seed: 23);
        await Lfs.CommitAllAsync(git, work, "Add two more");
        var overQuota = await git.PushAsync(work, url, "limited", token);
        Assert.False(overQuota.Succeeded, "a push over the repository's LFS quota went through");
        Assert.Contains("Git LFS storage quota exceeded for limited/big", overQuota.Error, StringComparison.Ordinal);
        Assert.Contains("of its 2 MiB", overQuota.Error, StringComparison.Ordinal);
        Assert.Empty(Server.FiveHundreds);
    }
}

/// <summary>git-lfs through <see cref="GitClient"/>, and the Git LFS API by hand for what git-lfs never sends.</summary>
public static class Lfs
{
    public static async Task AddCollaboratorAsync(LatchkeyServer server, string owner, string repo, string who)
    {
        using var scope = server.Services.CreateScope();
        var services = scope.ServiceProvider;
        var repository = await services.GetRequiredService<Latchkey.Repositories.RepositoryService>().FindAsync(owner, repo, CancellationToken.None);
        var users = services.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Latchkey.Accounts.User>>();
        var inviter = await users.FindByNameAsync(owner);
        var invitee = await users.FindByNameAsync(who);
        var collaborators = services.GetRequiredService<Latchkey.Repositories.RepositoryCollaborators>();
        var (_, invitation) = await collaborators.InviteAsync(repository!, inviter!, who, Latchkey.Repositories.CollaboratorRole.Push, CancellationToken.None);
        Assert.True(await collaborators.AnswerAsync(invitee!.Id, invitation!.Id, accept: true, CancellationToken.None));
    }

    public static async Task InstallAsync(GitClient git)
    {
        var install = await git.RunAsync(null, null, null, "lfs", "install", "--skip-repo");
        Assert.True(install.Succeeded, install.ToString());
    }

    public static async Task TrackAsync(GitClient git, string work, string pattern)
    {
        await InstallAsync(git);
        var hooks = await git.RunAsync(work, null, null, "lfs", "install", "--local");
        Assert.True(hooks.Succeeded, hooks.ToString());
        var track = await git.RunAsync(work, null, null, "lfs", "track", pattern);
        Assert.True(track.Succeeded, track.ToString());
    }

    public static async Task CommitAllAsync(GitClient git, string work, string message)
    {
        var add = await git.RunAsync(work, null, null, "add", "--all");
        Assert.True(add.Succeeded, add.ToString());
        var commit = await git.RunAsync(work, null, null, "commit", "-q", "-m", message);
        Assert.True(commit.Succeeded, commit.ToString());
    }

    /// <summary>Clones, tracks *.bin, commits one random file of <paramref name="size"/> bytes and pushes; returns its oid.</summary>
    public static async Task<string> PushOneAsync(GitClient git, string url, string user, string token, string into, string file, long size, int seed)
    {
        var clone = await git.CloneAsync(url, into, user, token);
        Assert.True(clone.Succeeded, clone.ToString());
        var work = Path.Combine(git.WorkDirectory, into);
        await TrackAsync(git, work, "*.bin");
        var oid = WriteRandom(Path.Combine(work, file), size, seed);
        await CommitAllAsync(git, work, "Add " + file);
        var push = await git.PushAsync(work, url, user, token);
        Assert.True(push.Succeeded, push.ToString());
        return oid;
    }

    /// <summary>Writes <paramref name="size"/> seeded random bytes and returns their SHA-256 (the LFS oid).</summary>
    public static string WriteRandom(string path, long size, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        var buffer = new byte[1024 * 1024];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var file = File.Create(path);
        for (long left = size; left > 0;)
        {
            var n = (int)Math.Min(buffer.Length, left);
            random.NextBytes(buffer.AsSpan(0, n));
            file.Write(buffer, 0, n);
            hash.AppendData(buffer, 0, n);
            left -= n;
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static string Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    private static readonly string[] BasicTransfer = ["basic"];

    /// <summary>The pointer file git-lfs commits for <paramref name="content"/>.</summary>
    public static string PointerFile(byte[] content) =>
        $"version https://git-lfs.github.com/spec/v1\noid sha256:{Convert.ToHexStringLower(SHA256.HashData(content))}\nsize {content.Length}\n";

    public static HttpRequestMessage Request(HttpMethod method, string url, string? user, string? password, string? json)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Accept.ParseAdd("application/vnd.git-lfs+json");
        if (user is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/vnd.git-lfs+json");
        return request;
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body, string Authenticate)> BatchAsync(HttpClient http, string url, string? user, string? password,
        string operation, string oid, long size)
    {
        using var request = Request(HttpMethod.Post, url, user, password,
            JsonSerializer.Serialize(new { operation, transfers = BasicTransfer, objects = new[] { new { oid, size } } }));
        var response = await http.SendAsync(request);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, body, response.Headers.WwwAuthenticate.ToString());
    }

    /// <summary>Uploads one object as git-lfs does: batch, PUT to the link, verify.</summary>
    public static async Task UploadAsync(HttpClient http, string batchUrl, string user, string token, byte[] content)
    {
        var oid = Convert.ToHexStringLower(SHA256.HashData(content));
        var batch = await BatchAsync(http, batchUrl, user, token, "upload", oid, content.Length);
        Assert.Equal(HttpStatusCode.OK, batch.Status);
        var actions = batch.Body.GetProperty("objects")[0].GetProperty("actions");
        foreach (var (name, body) in new[] { ("upload", (HttpContent)new ByteArrayContent(content)), ("verify", new StringContent(JsonSerializer.Serialize(new { oid, size = content.Length }))) })
        {
            var action = actions.GetProperty(name);
            using var request = new HttpRequestMessage(name == "upload" ? HttpMethod.Put : HttpMethod.Post, action.GetProperty("href").GetString()) { Content = body };
            request.Headers.TryAddWithoutValidation("Authorization", action.GetProperty("header").GetProperty("Authorization").GetString());
            var response = await http.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
