using Latchkey.Hosting;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Latchkey.Notifications;

/// <summary>Mail settings (section "Mail"). Without an SMTP host, messages go to a pickup folder as .eml files.</summary>
public sealed class MailOptions
{
    public string? SmtpHost { get; set; }
    public int SmtpPort { get; set; } = 587;
    public bool SmtpStartTls { get; set; } = true;
    public string? SmtpUser { get; set; }
    public string? SmtpPassword { get; set; }
    public string From { get; set; } = "Latchkey <latchkey@localhost>";

    /// <summary>Where messages go when no SMTP host is set (default: the data directory's "mail" folder).</summary>
    public string? PickupDirectory { get; set; }
}

/// <summary>Sends mail through SMTP (MailKit) or drops it into the pickup folder.</summary>
public sealed class Mailer(Microsoft.Extensions.Options.IOptions<MailOptions> options, DataDirectory data, ILogger<Mailer> logger)
{
    public string PickupDirectory => options.Value.PickupDirectory ?? Path.Combine(data.Path, "mail");

    public async Task SendAsync(string toName, string toAddress, string subject, string body, CancellationToken ct)
    {
        var settings = options.Value;
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.From));
        message.To.Add(new MailboxAddress(toName, toAddress));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };

        if (string.IsNullOrWhiteSpace(settings.SmtpHost))
        {
            Directory.CreateDirectory(PickupDirectory);
            var name = $"{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}.eml";
            var temporary = Path.Combine(PickupDirectory, name + ".partial");
            await message.WriteToAsync(temporary, ct);
            File.Move(temporary, Path.Combine(PickupDirectory, name));
            return;
        }

        using var client = new SmtpClient();
        await client.ConnectAsync(settings.SmtpHost, settings.SmtpPort, settings.SmtpStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.Auto, ct);
        if (!string.IsNullOrEmpty(settings.SmtpUser))
            await client.AuthenticateAsync(settings.SmtpUser, settings.SmtpPassword ?? "", ct);
        await client.SendAsync(message, ct);
        await client.DisconnectAsync(quit: true, ct);
        logger.LogInformation("Sent mail \"{Subject}\"", subject);
    }
}
