using Latchkey.Data;
using Latchkey.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;

namespace Latchkey.Accounts;

public static class AccountsSetup
{
    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddDataProtection()
            .SetApplicationName("Latchkey")
            .PersistKeysToFileSystem(new DirectoryInfo(builder.Services.DataDirectory().Keys));

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
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddEntityFrameworkStores<LatchkeyDb>()
            .AddDefaultTokenProviders();

        // PBKDF2-HMAC-SHA512 at the iteration count ASVS 5.0 asks for.
        builder.Services.Configure<PasswordHasherOptions>(o => o.IterationCount = PasswordRules.Pbkdf2Iterations);

        builder.Services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/login";
            options.LogoutPath = "/logout";
            options.AccessDeniedPath = "/login";
            options.Cookie.Name = "latchkey_session";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.SlidingExpiration = true;
            options.ExpireTimeSpan = TimeSpan.FromDays(14);
        });
        builder.Services.AddAntiforgery(o => o.Cookie.Name = "latchkey_antiforgery");
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
