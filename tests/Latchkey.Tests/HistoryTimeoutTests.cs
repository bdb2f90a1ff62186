using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// With Git:BrowseSeconds=1, a diff git needs seconds for (half a million lines shuffled) is stopped:
/// the page says so with 200 and the API answers GitHub's 422, both quickly and never a 5xx.
/// </summary>
public sealed class HistoryTimeoutTests : IAsyncLifetime
{
    private const string Password = "history timeout passphrase";
    private LatchkeyServer _server = null!;

    public async Task InitializeAsync() => _server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Git:BrowseSeconds"] = "1" });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_diff_slower_than_the_limit_shows_the_message_on_the_page_and_the_api()
    {
        using var project = await HistoryProject.CreateAsync(_server, "patient", Password);
        var shuffle = new Random(17);
        var lines = Enumerable.Range(0, 500_000).Select(n => $"line {n}\n").ToArray();
        await project.CommitAsync("shuffled.txt", string.Concat(lines), "Add lines");
        var first = await project.HeadAsync();
        var sha = await project.CommitAsync("shuffled.txt", string.Concat(lines.OrderBy(_ => shuffle.Next())), "Shuffle them");
        await project.PushAsync();

        var clock = Stopwatch.StartNew();
        var (status, page) = await project.Web.GetAsync($"{project.Path}/commit/{sha}");
        Assert.True(status == HttpStatusCode.OK, $"The commit page answered {status}:\n{page}");
        Assert.Contains("Sorry, this diff is taking too long to generate.", page, StringComparison.Ordinal);
        Assert.Contains("Shuffle them", page, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"The page took {clock.Elapsed}");

        var (compareStatus, compare) = await project.Web.GetAsync($"{project.Path}/compare/{first}...{sha}");
        Assert.Equal(HttpStatusCode.OK, compareStatus);
        Assert.Contains("This comparison is taking too long to generate.", compare, StringComparison.Ordinal);

        using var http = project.Api(_server);
        foreach (var path in new[] { $"repos{project.Path}/commits/{sha}", $"repos{project.Path}/compare/{first}...{sha}" })
        {
            using var response = await http.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{path} answered {response.StatusCode}:\n{body}");
            using var json = JsonDocument.Parse(body);
            Assert.Equal("Server Error: Sorry, this diff is taking too long to generate.", json.RootElement.GetProperty("message").GetString());
            Assert.Equal("not_available", json.RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
        }
        Assert.Empty(_server.FiveHundreds);
    }
}
