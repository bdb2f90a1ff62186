using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Latchkey.Hosting;

/// <summary>
/// `--dev-certificate`: HTTPS for local use and tests, with a self-signed certificate kept in the
/// data directory (<c>dev-certificate.pfx</c>, owner-only) and its public part beside it
/// (<c>dev-certificate.pem</c>) for clients to trust: <c>SSL_CERT_FILE</c> for gh, <c>GIT_SSL_CAINFO</c>
/// for git. gh speaks only HTTPS to an enterprise host, on port 443. The certificate names localhost,
/// the loopback addresses and every host of the HTTPS <c>--urls</c>; it is made again when a name is
/// missing or it is about to expire. Not for production: use a real certificate there (README).
/// </summary>
public static class DevCertificate
{
    public const string Flag = "--dev-certificate";
    public const string Setting = "Latchkey:DevCertificate";
    public const string PfxName = "dev-certificate.pfx";
    public const string PemName = "dev-certificate.pem";

    /// <summary>`--dev-certificate` as a flag becomes the setting (the command-line provider wants key=value).</summary>
    public static string[] ExpandFlag(string[] args) =>
        args.Select(a => a == Flag ? $"--{Setting}=true" : a).ToArray();

    public static WebApplicationBuilder AddDevCertificate(this WebApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue<bool>(Setting))
            return builder;
        var data = builder.Services.DataDirectory();
        var hosts = HostsOf(builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "");
        var certificate = LoadOrCreate(data.Path, hosts, TimeProvider.System.GetUtcNow());
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        return builder;
    }

    private static List<string> HostsOf(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => Uri.TryCreate(u.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null)
            .Where(u => u is not null && u.Scheme == Uri.UriSchemeHttps)
            .Select(u => u!.IdnHost.Trim('[', ']'))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();

    public static X509Certificate2 LoadOrCreate(string dataDirectory, IReadOnlyCollection<string> hosts, DateTimeOffset now)
    {
        var pfx = Path.Combine(dataDirectory, PfxName);
        var names = new HashSet<string>(["localhost", "127.0.0.1", "::1", .. hosts], StringComparer.OrdinalIgnoreCase);
        if (File.Exists(pfx))
        {
            var existing = X509CertificateLoader.LoadPkcs12FromFile(pfx, null, X509KeyStorageFlags.Exportable);
            if (existing.NotAfter > now.AddDays(7).UtcDateTime && names.All(n => Covers(existing, n)))
                return existing;
            existing.Dispose();
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Latchkey development certificate", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address))
                san.AddIpAddress(address);
            else
                san.AddDnsName(name);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(365));
        WritePrivate(pfx, created.Export(X509ContentType.Pfx));
        File.WriteAllText(Path.Combine(dataDirectory, PemName), created.ExportCertificatePem() + "\n");
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null, X509KeyStorageFlags.Exportable);
    }

    private static bool Covers(X509Certificate2 certificate, string name) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Any(san =>
            IPAddress.TryParse(name, out var address)
                ? san.EnumerateIPAddresses().Any(a => a.Equals(address))
                : san.EnumerateDnsNames().Any(d => string.Equals(d, name, StringComparison.OrdinalIgnoreCase)));

    private static void WritePrivate(string path, byte[] bytes)
    {
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        stream.Write(bytes);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
