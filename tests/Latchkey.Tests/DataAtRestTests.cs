using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>What sits in the data directory: private to the server's user, keys protected.</summary>
public sealed class DataAtRestTests
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static async Task SignUpSomeoneAsync(LatchkeyServer server)
    {
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("keeper", "a data at rest passphrase");
        await web.CreateTokenAsync("t", ["repo"]);
    }

    /// <summary>The Data Protection key ring is in the database, where every node reads it.</summary>
    private static async Task<string> KeyXmlAsync(LatchkeyServer server)
    {
        return (string)(await TestDatabase.ExecuteAsync(server.DataDirectory, "SELECT \"Xml\" FROM \"DataProtectionKeys\""))!;
    }

    [Fact]
    public async Task The_data_directory_and_its_keys_are_readable_by_the_owner_only()
    {
        await using var server = await LatchkeyServer.StartAsync();
        await SignUpSomeoneAsync(server);

        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(server.DataDirectory));
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(Path.Combine(server.DataDirectory, "repositories")));
        // Push protection's work folders hold a push's candidate tokens while it is checked.
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(Path.Combine(server.DataDirectory, "push-protection")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(server.DataDirectory, "token-hmac.key")));

        var key = await KeyXmlAsync(server);
        Assert.Contains("AES_256_GCM", key, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_certificate_configured_the_data_protection_keys_are_encrypted_at_rest()
    {
        var certificates = Directory.CreateTempSubdirectory("latchkey-dp-cert-").FullName;
        try
        {
            var pfx = await TestCertificate.WritePfxAsync(certificates, "secret");
            await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string>
            {
                ["DataProtection:CertificatePath"] = pfx,
                ["DataProtection:CertificatePassword"] = "secret",
            });
            await SignUpSomeoneAsync(server);

            var key = await KeyXmlAsync(server);
            Assert.Contains("EncryptedXml", key, StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", key, StringComparison.Ordinal);

            // Sessions keep working with the encrypted key ring.
            using var web = server.NewBrowserSession();
            await web.SignInAsync("keeper", "a data at rest passphrase");
            Assert.Equal(System.Net.HttpStatusCode.OK, (await web.GetAsync("/settings/tokens")).Status);
        }
        finally
        {
            Directory.Delete(certificates, recursive: true);
        }
    }
}
