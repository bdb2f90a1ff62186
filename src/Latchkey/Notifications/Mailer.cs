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

    /// <summary>StartTls (default, required), SslOnConnect (port 465), or None (plain text: only on a trusted network).</summary>
    public string SmtpSecurity { get; set; } = "StartTls";
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
            // Mail may name tokens and addresses: the folder and files are the server user's only.
            var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(PickupDirectory);
            else
                Directory.CreateDirectory(PickupDirectory, ownerOnly | UnixFileMode.UserExecute);
            var name = $"{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}.eml";
            var temporary = Path.Combine(PickupDirectory, name + ".partial");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = ownerOnly;
            await using (var file = new FileStream(temporary, options))
                await message.WriteToAsync(file, ct);
            File.Move(temporary, Path.Combine(PickupDirectory, name));
            return;
        }

        using var client = new SmtpClient();
        var security = settings.SmtpSecurity.ToLowerInvariant() switch
        {
            "starttls" => SecureSocketOptions.StartTls,
            "sslonconnect" => SecureSocketOptions.SslOnConnect,
            "none" => SecureSocketOptions.None,
            _ => throw new InvalidOperationException($"Mail:SmtpSecurity must be StartTls, SslOnConnect or None (it is \"{settings.SmtpSecurity}\")."),
        };
        await client.ConnectAsync(settings.SmtpHost, settings.SmtpPort, security, ct);
        if (!string.IsNullOrEmpty(settings.SmtpUser))
            await client.AuthenticateAsync(settings.SmtpUser, settings.SmtpPassword ?? "", ct);
        await client.SendAsync(message, ct);
        await client.DisconnectAsync(quit: true, ct);
        // The subject carries a token's note, which is the user's text: it stays out of the log.
        logger.LogInformation("Sent a mail through {Host}", settings.SmtpHost);
    }
}
