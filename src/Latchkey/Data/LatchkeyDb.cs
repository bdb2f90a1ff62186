using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Lfs;
using Latchkey.Notifications;
using Latchkey.Repositories;
using Latchkey.SecurityLog;
using Latchkey.Tokens;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Data;

/// <summary>
/// The one model. Each database provider has its own subclass (<see cref="SqliteLatchkeyDb"/>,
/// <see cref="PostgresLatchkeyDb"/>) only so that each keeps its own migrations, generated from this
/// same model and kept in step; code everywhere else asks for <see cref="LatchkeyDb"/>.
/// </summary>
public abstract class LatchkeyDb(DbContextOptions options)
    : IdentityDbContext<User, IdentityRole<long>, long>(options), IDataProtectionKeyContext
{
    /// <summary>Data Protection keys live in the database, so every node that shares it can read them.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<PersonalAccessToken> Tokens => Set<PersonalAccessToken>();
    public DbSet<Repository> Repositories => Set<Repository>();
    public DbSet<UserSession> Sessions => Set<UserSession>();
    public DbSet<SecurityEvent> SecurityEvents => Set<SecurityEvent>();
    public DbSet<TokenReminder> TokenReminders => Set<TokenReminder>();
    public DbSet<Collaborator> Collaborators => Set<Collaborator>();
    public DbSet<RepositoryInvitation> Invitations => Set<RepositoryInvitation>();
    public DbSet<RateCounter> RateCounters => Set<RateCounter>();
    public DbSet<CredentialEpoch> CredentialEpochs => Set<CredentialEpoch>();
    public DbSet<LfsObject> LfsObjects => Set<LfsObject>();
    public DbSet<LfsLock> LfsLocks => Set<LfsLock>();
    public DbSet<TokenPolicyRecord> TokenPolicies => Set<TokenPolicyRecord>();
    public DbSet<TokenUsageRecord> TokenUsage => Set<TokenUsageRecord>();
    public DbSet<TokenNetworkSighting> TokenNetworkSightings => Set<TokenNetworkSighting>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every time is UTC. PostgreSQL's timestamptz insists on it; SQLite would otherwise hand
        // times back as "unspecified".
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<PersonalAccessToken>(token =>
        {
            token.ToTable("PersonalAccessTokens");
            token.HasIndex(t => t.Digest).IsUnique();
            token.HasIndex(t => t.UserId);
            token.Property(t => t.Note).HasMaxLength(TokenRules.MaxNoteLength);
            token.Property(t => t.LastEight).HasMaxLength(8);
            token.Property(t => t.HashedToken).HasMaxLength(44);
            token.Property(t => t.Digest).HasMaxLength(32);
            token.Property(t => t.Scopes).HasMaxLength(1000);
            token.Property(t => t.LastUsedIp).HasMaxLength(64);
            token.Property(t => t.LastUsedUserAgent).HasMaxLength(256);
            token.Property(t => t.AllowedNetworks).HasMaxLength(Latchkey.Tokens.AllowedNetworks.MaxStoredLength);
            token.HasOne(t => t.User).WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
            token.Property(t => t.Description).HasMaxLength(TokenRules.MaxDescriptionLength);
            token.Property(t => t.Permissions).HasMaxLength(1000);
            // Fine-grained token names are unique per user (classic notes need not be); a rotated token
            // keeps its name beside its successor until its overlap ends.
            token.HasIndex(t => new { t.UserId, t.Note }).IsUnique().HasFilter("\"Kind\" = 1 AND \"RotatedAt\" IS NULL AND \"RevokedAt\" IS NULL");
            // A revoked token is kept for the inventory and left out of everything else.
            token.HasQueryFilter(t => t.RevokedAt == null);
            token.HasMany(t => t.Repositories).WithOne().HasForeignKey(r => r.TokenId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<TokenUsageRecord>(usage =>
        {
            usage.ToTable("TokenUsage");
            usage.HasKey(u => new { u.TokenId, u.Day, u.Grant });
            usage.Property(u => u.Grant).HasMaxLength(120);
            usage.HasIndex(u => u.Day);
            usage.HasOne<PersonalAccessToken>().WithMany().HasForeignKey(u => u.TokenId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<TokenRepository>(selected =>
        {
            selected.ToTable("TokenRepositories");
            selected.HasKey(r => new { r.TokenId, r.RepositoryId });
            selected.HasIndex(r => r.RepositoryId);
            selected.HasOne<Repository>().WithMany().HasForeignKey(r => r.RepositoryId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<UserSession>(session =>
        {
            session.ToTable("Sessions");
            session.Property(s => s.Id).HasMaxLength(64);
            session.Property(s => s.IpAddress).HasMaxLength(64);
            session.Property(s => s.UserAgent).HasMaxLength(512);
            session.HasIndex(s => s.UserId);
            session.HasOne(s => s.User).WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<SecurityEvent>(entry =>
        {
            entry.ToTable("SecurityLog");
            entry.HasIndex(e => new { e.UserId, e.Id });
            entry.Property(e => e.Action).HasMaxLength(64);
            entry.Property(e => e.Detail).HasMaxLength(SecurityLogWriter.MaxDetailLength);
            entry.Property(e => e.ActorName).HasMaxLength(64);
            entry.Property(e => e.TokenLastEight).HasMaxLength(8);
            entry.Property(e => e.TokenHash).HasMaxLength(44);
            entry.HasIndex(e => e.TokenHash);
            entry.Property(e => e.IpAddress).HasMaxLength(64);
            entry.Property(e => e.UserAgent).HasMaxLength(512);
            entry.HasOne<User>().WithMany().HasForeignKey(e => e.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<TokenReminder>(reminder =>
        {
            reminder.HasIndex(r => new { r.TokenId, r.Kind, r.ExpiresAt }).IsUnique();
            reminder.Property(r => r.Kind).HasMaxLength(16);
            reminder.HasOne<PersonalAccessToken>().WithMany().HasForeignKey(r => r.TokenId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<Collaborator>(collaborator =>
        {
            collaborator.HasIndex(c => new { c.RepositoryId, c.UserId }).IsUnique();
            collaborator.HasOne<Repository>().WithMany(r => r.Collaborators).HasForeignKey(c => c.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            collaborator.HasOne(c => c.User).WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<RepositoryInvitation>(invitation =>
        {
            invitation.ToTable("RepositoryInvitations");
            invitation.HasIndex(i => new { i.RepositoryId, i.InviteeId }).IsUnique();
            invitation.HasIndex(i => i.InviteeId);
            invitation.HasOne(i => i.Repository).WithMany().HasForeignKey(i => i.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            invitation.HasOne(i => i.Invitee).WithMany().HasForeignKey(i => i.InviteeId).OnDelete(DeleteBehavior.Cascade);
            invitation.HasOne(i => i.Inviter).WithMany().HasForeignKey(i => i.InviterId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<CredentialEpoch>(epoch =>
        {
            epoch.Property(e => e.Id).ValueGeneratedNever();
            epoch.HasData(new CredentialEpoch { Id = 1, Value = 0 });
        });

        builder.Entity<RateCounter>(counter =>
        {
            counter.HasKey(c => c.Key);
            counter.Property(c => c.Key).HasMaxLength(128);
        });

        builder.Entity<LfsObject>(lfs =>
        {
            lfs.ToTable("LfsObjects");
            lfs.HasKey(o => new { o.RepositoryId, o.Oid });
            lfs.Property(o => o.Oid).HasMaxLength(64);
            // "Does any repository still hold this object?" when one is deleted.
            lfs.HasIndex(o => o.Oid);
            lfs.HasOne<Repository>().WithMany().HasForeignKey(o => o.RepositoryId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<TokenPolicyRecord>(policy =>
        {
            policy.ToTable("TokenPolicies");
            policy.Property(p => p.Id).ValueGeneratedNever();
        });

        builder.Entity<TokenNetworkSighting>(sighting =>
        {
            sighting.ToTable("TokenNetworkSightings");
            // NewNetworkAlerts inserts with ON CONFLICT on exactly these columns.
            sighting.HasIndex(s => new { s.TokenId, s.Network }).IsUnique();
            sighting.Property(s => s.Network).HasMaxLength(TokenNetworkSighting.MaxNetworkLength);
            sighting.Property(s => s.LastUserAgent).HasMaxLength(TokenNetworkSighting.MaxUserAgentLength);
            sighting.HasOne<PersonalAccessToken>().WithMany().HasForeignKey(s => s.TokenId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<LfsLock>(lfsLock =>
        {
            lfsLock.ToTable("LfsLocks");
            lfsLock.HasIndex(l => new { l.RepositoryId, l.Path }).IsUnique();
            lfsLock.Property(l => l.Path).HasMaxLength(Lfs.LfsLocks.MaxPathLength);
            lfsLock.HasOne<Repository>().WithMany().HasForeignKey(l => l.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            lfsLock.HasOne(l => l.Owner).WithMany().HasForeignKey(l => l.OwnerId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<Repository>(repo =>
        {
            repo.HasIndex(r => new { r.OwnerId, r.NormalizedName }).IsUnique();
            repo.Property(r => r.Name).HasMaxLength(RepositoryNames.MaxLength);
            repo.Property(r => r.NormalizedName).HasMaxLength(RepositoryNames.MaxLength);
            repo.Property(r => r.Description).HasMaxLength(RepositoryNames.MaxDescriptionLength);
            repo.HasOne(r => r.Owner).WithMany().HasForeignKey(r => r.OwnerId).OnDelete(DeleteBehavior.Cascade);
            repo.Property(r => r.MaintenanceHolder).HasMaxLength(Git.RepositoryMaintenance.MaxHolderLength);
            // "Which repositories are due for maintenance?", asked every few seconds: few rows reach the threshold.
            repo.HasIndex(r => r.PushesSinceMaintenance);
        });
    }
}

/// <summary>Writes and reads every DateTime as UTC.</summary>
public sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
    value => value.Kind == DateTimeKind.Utc ? value : value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc),
    value => DateTime.SpecifyKind(value, DateTimeKind.Utc));

/// <summary>The embedded default: one process, one SQLite file.</summary>
public sealed class SqliteLatchkeyDb(DbContextOptions<SqliteLatchkeyDb> options) : LatchkeyDb(options);

/// <summary>Production mode: PostgreSQL shared by several nodes.</summary>
public sealed class PostgresLatchkeyDb(DbContextOptions<PostgresLatchkeyDb> options) : LatchkeyDb(options);
