using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RevokedTokensKept : Migration
    {
        private const string TokenColumns = "\"Digest\", \"ExpiresAt\", \"Scopes\", \"Permissions\", \"RepositoryAccess\", \"UserId\", \"Kind\", \"CreatedAt\", \"Note\", \"Description\", \"AllowedNetworks\"";

        private static void RaiseEpochOn(MigrationBuilder migrationBuilder, string name, string when) =>
            migrationBuilder.Sql($"CREATE TRIGGER \"{name}\" {when} BEGIN UPDATE \"CredentialEpochs\" SET \"Value\" = \"Value\" + 1 WHERE \"Id\" = 1; END;");

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PersonalAccessTokens_UserId_Note",
                table: "PersonalAccessTokens");

            migrationBuilder.AddColumn<DateTime>(
                name: "RevokedAt",
                table: "PersonalAccessTokens",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_PersonalAccessTokens_UserId_Note",
                table: "PersonalAccessTokens",
                columns: new[] { "UserId", "Note" },
                unique: true,
                filter: "\"Kind\" = 1 AND \"RotatedAt\" IS NULL AND \"RevokedAt\" IS NULL");

            // A revocation is an update now (the row is kept): cached copies must hear of it (TokenCache).
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"credential_epoch_token_update\";");
            RaiseEpochOn(migrationBuilder, "credential_epoch_token_update", $"AFTER UPDATE OF {TokenColumns}, \"RevokedAt\" ON \"PersonalAccessTokens\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DELETE FROM \"PersonalAccessTokens\" WHERE \"RevokedAt\" IS NOT NULL;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"credential_epoch_token_update\";");

            migrationBuilder.DropIndex(
                name: "IX_PersonalAccessTokens_UserId_Note",
                table: "PersonalAccessTokens");

            migrationBuilder.DropColumn(
                name: "RevokedAt",
                table: "PersonalAccessTokens");

            migrationBuilder.CreateIndex(
                name: "IX_PersonalAccessTokens_UserId_Note",
                table: "PersonalAccessTokens",
                columns: new[] { "UserId", "Note" },
                unique: true,
                filter: "\"Kind\" = 1 AND \"RotatedAt\" IS NULL");

            // After the column is gone (SQLite rebuilds the table for that, without its triggers).
            RaiseEpochOn(migrationBuilder, "credential_epoch_token_update", $"AFTER UPDATE OF {TokenColumns} ON \"PersonalAccessTokens\"");
        }
    }
}
