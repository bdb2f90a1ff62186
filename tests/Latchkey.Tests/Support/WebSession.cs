using System.Net;
using System.Text.RegularExpressions;

namespace Latchkey.Tests.Support;

/// <summary>
/// A browser-like client: keeps cookies, does not follow redirects, and posts forms with the
/// antiforgery token read from the page, as a browser would.
/// </summary>
public sealed partial class WebSession : IDisposable
{
    private readonly HttpClient _client;

    public WebSession(LatchkeyServer server, IPAddress? from = null)
        : this(server.BaseAddress, null, from)
    {
    }

    /// <summary>A session against any server address; pass another session's cookies to carry its sign-in over (to another node).</summary>
    /// <param name="trustedCertificatePem">A self-signed server certificate to trust (the development certificate), for HTTPS servers.</param>
    public WebSession(Uri baseAddress, CookieContainer? cookies = null, IPAddress? from = null, string? trustedCertificatePem = null)
    {
        Cookies = cookies ?? new CookieContainer();
        var handler = Handler(Cookies, from);
        if (trustedCertificatePem is not null)
        {
            using var trusted = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(trustedCertificatePem));
            var thumbprint = trusted.Thumbprint;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && string.Equals(new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate).Thumbprint, thumbprint, StringComparison.OrdinalIgnoreCase);
        }
        _client = new HttpClient(handler) { BaseAddress = baseAddress };
    }

    /// <summary>
    /// A handler that keeps cookies, follows no redirects, and (when <paramref name="from"/> is given)
    /// connects from that loopback address, so tests can play several clients (127.0.0.2, ...).
    /// </summary>
    public static SocketsHttpHandler Handler(CookieContainer? cookies, IPAddress? from)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = cookies is not null, CookieContainer = cookies ?? new CookieContainer() };
        if (from is not null)
        {
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        return handler;
    }

    public CookieContainer Cookies { get; }
    public HttpClient Http => _client;

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await _client.GetAsync(path.TrimStart('/'));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Loads the form page, then posts the fields with its antiforgery token.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string formPage, IEnumerable<KeyValuePair<string, string>> fields, string? action = null)
    {
        var (status, page) = await GetAsync(formPage);
        Assert.True(status == HttpStatusCode.OK, $"GET {formPage} answered {status}:\n{page}");
        var all = fields.Append(new("__RequestVerificationToken", AntiforgeryTokenIn(page)));
        return await _client.PostAsync((action ?? formPage).TrimStart('/'), new FormUrlEncodedContent(all));
    }

    public async Task SignUpAsync(string username, string password, string? email = null)
    {
        using var response = await PostFormAsync("/signup",
        [
            new("Input.Username", username),
            new("Input.Email", email ?? $"{username}@example.test"),
            new("Input.Password", password),
        ]);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Sign-up of {username} answered {response.StatusCode}:\n{await response.Content.ReadAsStringAsync()}");
    }

    public async Task SignInAsync(string login, string password)
    {
        using var response = await PostFormAsync("/login", [new("Input.Login", login), new("Input.Password", password)]);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Sign-in of {login} answered {response.StatusCode}:\n{await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Generates a classic token through the real form and reads it off the page that shows it once.</summary>
    public async Task<string> CreateTokenAsync(string note, IEnumerable<string> scopes, string expiration = "30", string? customDate = null)
    {
        var fields = new List<KeyValuePair<string, string>> { new("Input.Note", note), new("Input.Expiration", expiration) };
        if (customDate is not null)
            fields.Add(new("Input.CustomDate", customDate));
        fields.AddRange(scopes.Select(s => new KeyValuePair<string, string>("Input.Scopes", s)));
        using var response = await PostFormAsync("/settings/tokens/new", fields);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Token creation answered {response.StatusCode}:\n{await response.Content.ReadAsStringAsync()}");
        Assert.Equal("/settings/tokens", response.Headers.Location?.OriginalString);

        var (status, page) = await GetAsync("/settings/tokens");
        Assert.Equal(HttpStatusCode.OK, status);
        var shown = NewTokenBox().Match(page);
        Assert.True(shown.Success, "The new token is not shown on /settings/tokens:\n" + page);
        return shown.Groups[1].Value;
    }

    /// <summary>
    /// Generates a fine-grained token through the real form (access: public, all or selected; permissions:
    /// key → none/read/write) and reads it off the list that shows it once.
    /// </summary>
    public async Task<string> CreateFineGrainedTokenAsync(string name, string access = "all", IEnumerable<long>? repositoryIds = null,
        IReadOnlyDictionary<string, string>? permissions = null, string expiration = "30")
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("Input.Name", name),
            new("Input.Expiration", expiration),
            new("Input.RepositoryAccess", access),
        };
        fields.AddRange((repositoryIds ?? []).Select(id => new KeyValuePair<string, string>("Input.RepositoryIds", id.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        fields.AddRange((permissions ?? new Dictionary<string, string>()).Select(p => new KeyValuePair<string, string>($"Input.Permissions[{p.Key}]", p.Value)));
        using var response = await PostFormAsync("/settings/personal-access-tokens/new", fields);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Fine-grained token creation answered {response.StatusCode}:\n{await response.Content.ReadAsStringAsync()}");
        Assert.Equal("/settings/personal-access-tokens", response.Headers.Location?.OriginalString);

        var (status, page) = await GetAsync("/settings/personal-access-tokens");
        Assert.Equal(HttpStatusCode.OK, status);
        var shown = NewTokenBox().Match(page);
        Assert.True(shown.Success, "The new token is not shown on /settings/personal-access-tokens:\n" + page);
        return shown.Groups[1].Value;
    }

    /// <summary>A repository's id ("owner/name"), as the fine-grained token form's repository picker has it.</summary>
    public async Task<long> RepositoryIdAsync(string fullName)
    {
        var (status, page) = await GetAsync("/settings/personal-access-tokens/new");
        Assert.True(status == HttpStatusCode.OK, $"GET /settings/personal-access-tokens/new answered {status}:\n{page}");
        var box = Regex.Match(page, $@"name=""Input\.RepositoryIds"" value=""(\d+)"" data-full-name=""{Regex.Escape(WebUtility.HtmlEncode(fullName))}""");
        Assert.True(box.Success, $"{fullName} is not in the repository picker:\n{page}");
        return long.Parse(box.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task CreateRepositoryAsync(string name, bool isPrivate = false, bool addReadme = false, string? description = null)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("Input.Name", name),
            new("Input.Visibility", isPrivate ? "private" : "public"),
        };
        if (description is not null)
            fields.Add(new("Input.Description", description));
        if (addReadme)
            fields.Add(new("Input.AddReadme", "true"));
        using var response = await PostFormAsync("/new", fields);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Creating {name} answered {response.StatusCode}:\n{await response.Content.ReadAsStringAsync()}");
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The antiforgery token of the form on a page.</summary>
    public static string AntiforgeryTokenIn(string page)
    {
        var token = AntiforgeryField().Match(page);
        Assert.True(token.Success, "No antiforgery token on the page:\n" + page);
        return WebUtility.HtmlDecode(token.Groups[1].Value);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex("<code id=\"new-token\"[^>]*>([^<]+)</code>")]
    public static partial Regex NewTokenBox();
}
