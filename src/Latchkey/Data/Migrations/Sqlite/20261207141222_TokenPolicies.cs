using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TokenPolicies : Migration
    {
        private const string TokenColumns = "\"Digest\", \"ExpiresAt\", \"Scopes\", \"Permissions\", \"RepositoryAccess\", \"UserId\", \"Kind\", \"CreatedAt\", \"Note\", \"Description\"";

        private static void RaiseEpochOn(MigrationBuilder migrationBuilder, string name, string when) =>
            migrationBuilder.Sql($"CREATE TRIGGER \"{name}\" {when} BEGIN UPDATE \"CredentialEpochs\" SET \"Value\" = \"Value\" + 1 WHERE \"Id\" = 1; END;");

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AllowedNetworks",
                table: "PersonalAccessTokens",
                type: "TEXT",
                maxLength: 2200,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "TokenPolicies",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    ClassicAllowed = table.Column<bool>(type: "INTEGER", nullable: false),
                    ClassicMaxLifetimeDays = table.Column<int>(type: "INTEGER", nullable: true),
                    ClassicExpiryRequired = table.Column<bool>(type: "INTEGER", nullable: false),
                    FineGrainedMaxLifetimeDays = table.Column<int>(type: "INTEGER", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedById = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TokenPolicies", x => x.Id);
                });

            // A token's allowed networks and the site's policy are part of what a cached credential depends on (TokenCache).
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"credential_epoch_token_update\";");
            RaiseEpochOn(migrationBuilder, "credential_epoch_token_update", $"AFTER UPDATE OF {TokenColumns}, \"AllowedNetworks\" ON \"PersonalAccessTokens\"");
            RaiseEpochOn(migrationBuilder, "credential_epoch_token_policy_insert", "AFTER INSERT ON \"TokenPolicies\"");
            RaiseEpochOn(migrationBuilder, "credential_epoch_token_policy_update", "AFTER UPDATE ON \"TokenPolicies\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"credential_epoch_token_policy_insert\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"credential_epoch_token_policy_update\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"credential_epoch_token_update\";");
            RaiseEpochOn(migrationBuilder, "credential_epoch_token_update", $"AFTER UPDATE OF {TokenColumns} ON \"PersonalAccessTokens\"");

            migrationBuilder.DropTable(
                name: "TokenPolicies");

            migrationBuilder.DropColumn(
                name: "AllowedNetworks",
                table: "PersonalAccessTokens");
        }
    }
}
