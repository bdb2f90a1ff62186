using System.Globalization;
using Latchkey.Data;
using Latchkey.Hosting;
using Latchkey.SecurityLog;
using Latchkey.Tokens;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Notifications;

/// <summary>One reminder sent: at most one of each kind per token and expiry, however often the job runs.</summary>
public sealed class TokenReminder
{
    public long Id { get; set; }
    public long TokenId { get; set; }
    public required string Kind { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime SentAt { get; set; }
}

/// <summary>
/// Reminds owners 7 days and 1 day before a token expires, and when it has expired, by mail with a
/// link to regenerate. Each reminder is recorded before it is sent, so none goes twice, even across
/// restarts; if the job was down past two thresholds only the most urgent reminder goes.
/// </summary>
public sealed class ExpiryReminders(LatchkeyDb db, TimeProvider clock, TokenLifetimePolicy lifetime, TokenPolicies policies, Mailer mailer,
    SecurityLogWriter log, SiteUrl site, ILogger<ExpiryReminders> logger)
{
    public const string SevenDays = "7d";
    public const string OneDay = "1d";
    public const string Expired = "expired";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await policies.RefreshAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var horizon = now.AddDays(7);
        var candidates = await db.Tokens.AsNoTracking().Include(t => t.User)
            .Where(t => !t.IsCanary && ((t.ExpiresAt != null && t.ExpiresAt <= horizon) || lifetime.HasLifetimeLimit))
            .ToListAsync(ct);
        var sent = 0;
        foreach (var token in candidates)
        {
            if (lifetime.EffectiveExpiry(token) is not { } expiry || expiry > horizon || token.User?.Email is not { } email || token.User.IsSuspended)
                continue;
            var kind = now >= expiry ? Expired : now >= expiry.AddDays(-1) ? OneDay : SevenDays;
            // Tokens long expired before reminders existed get no late "expired" mail.
            if (kind == Expired && now - expiry > TimeSpan.FromDays(7))
                continue;
            if (await db.TokenReminders.AnyAsync(r => r.TokenId == token.Id && r.ExpiresAt == expiry && (r.Kind == kind || (kind == SevenDays && r.Kind == OneDay)), ct))
                continue;

            db.TokenReminders.Add(new TokenReminder { TokenId = token.Id, Kind = kind, ExpiresAt = expiry, SentAt = now });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another node recorded it first: it sends it.
                db.ChangeTracker.Clear();
                continue;
            }

            var (subject, body) = Compose(token, kind, expiry);
            await mailer.SendAsync(token.User.UserName!, email, subject, body, ct);
            if (kind == Expired)
                await log.RecordAsync(token.UserId, SecurityActions.TokenExpired, $"\"{token.Note}\" expired; its owner was told by mail", succeeded: false, token: token, ct: ct);
            sent++;
        }
        if (sent > 0)
            logger.LogInformation("Sent {Count} token expiry reminders", sent);
        return sent;
    }

    private (string Subject, string Body) Compose(PersonalAccessToken token, string kind, DateTime expiry)
    {
        var when = expiry.ToString("ddd, MMM d yyyy HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var subject = kind switch
        {
            Expired => $"[Latchkey] Your personal access token \"{token.Note}\" has expired",
            OneDay => $"[Latchkey] Your personal access token \"{token.Note}\" expires tomorrow",
            _ => $"[Latchkey] Your personal access token \"{token.Note}\" expires in 7 days",
        };
        var (what, page) = token.Kind == TokenKind.Classic
            ? ($"personal access token (classic) \"{token.Note}\" with {(token.Scopes.Length == 0 ? "no scopes" : token.Scopes)}", $"/settings/tokens/{token.Id}/regenerate")
            : ($"fine-grained personal access token \"{token.Note}\" ({token.PermissionSet.Describe()})", $"/settings/personal-access-tokens/{token.Id}");
        var body =
            $"Hi {token.User!.UserName},\n\n" +
            (kind == Expired
                ? $"Your {what} expired on {when}.\n"
                : $"Your {what} will expire on {when}.\n") +
            "Scripts and applications that use it will stop being able to reach Latchkey.\n\n" +
            $"To keep using it, regenerate it here:\n{site.Base()}{page}\n\n" +
            "If you no longer need it, you can ignore this message.\n";
        return (subject, body);
    }
}

/// <summary>The reminder job (section "Reminders").</summary>
public sealed class RemindersOptions
{
    public bool Enabled { get; set; } = true;
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    public sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<RemindersOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, RemindersOptions options) =>
            Hosting.OptionRules.Check(Hosting.OptionRules.Positive("Reminders:Interval", options.Interval));
    }
}

/// <summary>Runs the reminders every few minutes (Reminders:Interval, default 10 minutes).</summary>
public sealed class ExpiryReminderService(IServiceScopeFactory scopes, TimeProvider clock, Microsoft.Extensions.Options.IOptions<RemindersOptions> options,
    ILogger<ExpiryReminderService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<ExpiryReminders>().RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A mail server that is down must not stop the job; the next run tries again.
                logger.LogError(e, "Token expiry reminders failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

public static class NotificationsSetup
{
    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<MailOptions>(builder.Configuration.GetSection("Mail"));
        builder.Services.AddSingleton<Mailer>();
        builder.Services.AddSingleton<SiteUrl>();
        builder.Services.AddScoped<ExpiryReminders>();
        builder.Services.AddScoped<ExpiringTokensBanner>();
        builder.Services.AddValidatedOptions<RemindersOptions, RemindersOptions.Validator>("Reminders");
        if (builder.Configuration.GetValue("Reminders:Enabled", true))
            builder.Services.AddHostedService<ExpiryReminderService>();
        return builder;
    }
}
