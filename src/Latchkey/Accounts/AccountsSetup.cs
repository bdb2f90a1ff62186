using Latchkey.Data;
using Latchkey.Hosting;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Accounts;

public static class AccountsSetup
{
    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        // Data Protection (cookies, antiforgery, flash messages): AES-256-GCM; keys in the database,
        // where every node reads them, encrypted at rest with a certificate when one is configured.
        var protection = builder.Services.AddDataProtection()
            .SetApplicationName("Latchkey")
            .PersistKeysToDbContext<LatchkeyDb>()
            .UseCryptographicAlgorithms(new AuthenticatedEncryptorConfiguration
            {
                EncryptionAlgorithm = EncryptionAlgorithm.AES_256_GCM,
                ValidationAlgorithm = ValidationAlgorithm.HMACSHA256,
            });
        if (builder.Configuration["DataProtection:CertificatePath"] is { Length: > 0 } certificatePath)
        {
            protection.ProtectKeysWithCertificate(X509CertificateLoader.LoadPkcs12FromFile(
                certificatePath, builder.Configuration["DataProtection:CertificatePassword"]));
        }

        builder.Services
            .AddIdentity<User, IdentityRole<long>>(options =>
            {
                options.Password.RequiredLength = PasswordRules.MinLength;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequiredUniqueChars = 1;
                options.User.RequireUniqueEmail = true;
                options.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
                options.SignIn.RequireConfirmedAccount = false;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 10;
            })
            .AddEntityFrameworkStores<LatchkeyDb>()
            .AddClaimsPrincipalFactory<LatchkeyClaimsFactory>()
            .AddDefaultTokenProviders();

        // The lockout lasts Security:LockoutDuration, validated with the rest of the section (ThrottleOptions).
        builder.Services.AddOptions<IdentityOptions>().Configure<IOptions<Authorization.ThrottleOptions>>((options, throttle) =>
            options.Lockout.DefaultLockoutTimeSpan = throttle.Value.LockoutDuration);

        // PasswordPolicy covers length too; Identity's own validator would only repeat its message.
        builder.Services.RemoveAll<IPasswordValidator<User>>();
        builder.Services.AddScoped<IPasswordValidator<User>, PasswordPolicy>();

        // PBKDF2-HMAC-SHA512 at the iteration count ASVS 5.0 asks for.
        builder.Services.Configure<PasswordHasherOptions>(o => o.IterationCount = PasswordRules.Pbkdf2Iterations);

        // Sessions live on the server; the cookie only names one.
        builder.Services.AddValidatedOptions<SessionOptions, SessionOptions.Validator>("Sessions");
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddScoped<Sessions>();
        builder.Services.AddScoped<AccountAdministration>();
        builder.Services.AddScoped<SudoMode>();
        builder.Services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<SessionStore, IOptions<SessionOptions>>((options, store, sessions) =>
            {
                options.SessionStore = store;
                options.ExpireTimeSpan = sessions.Value.IdleTimeout;
            });

        // Behind HTTPS, cookies are __Host- prefixed and Secure: bound to this exact origin.
        var cookies = CookieNames.From(builder.Configuration);
        builder.Services.AddSingleton(cookies);
        builder.Services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/login";
            options.LogoutPath = "/logout";
            options.AccessDeniedPath = "/login";
            cookies.Apply(options.Cookie, "latchkey_session", SameSiteMode.Lax);
            options.SlidingExpiration = true;
        });
        builder.Services.AddAntiforgery(options => cookies.Apply(options.Cookie, "latchkey_csrf", SameSiteMode.Strict));
        builder.Services.Configure<CookieTempDataProviderOptions>(options => cookies.Apply(options.Cookie, "latchkey_flash", SameSiteMode.Lax));
        // Sessions are checked against the database on every request; the stamp check adds little.
        builder.Services.Configure<SecurityStampValidatorOptions>(o =>
        {
            o.ValidationInterval = TimeSpan.FromMinutes(1);
            // The revalidated principal is built afresh: carry the session id over to it.
            o.OnRefreshingPrincipal = context =>
            {
                if (context.CurrentPrincipal?.FindFirst(SessionStore.SessionIdClaim) is { } session
                    && context.NewPrincipal?.Identity is System.Security.Claims.ClaimsIdentity identity
                    && !identity.HasClaim(c => c.Type == SessionStore.SessionIdClaim))
                    identity.AddClaim(new System.Security.Claims.Claim(SessionStore.SessionIdClaim, session.Value));
                return Task.CompletedTask;
            };
        });
        return builder;
    }

    /// <summary>Profile pictures: a generated identicon per user, by id (as GitHub's /u/ID avatars).</summary>
    public static IEndpointRouteBuilder MapAvatars(this IEndpointRouteBuilder app)
    {
        app.MapGet("/avatars/u/{id:long}", (long id, HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "public, max-age=86400";
            return Results.File(Identicon.RenderPng(id), "image/png");
        });
        return app;
    }
}
