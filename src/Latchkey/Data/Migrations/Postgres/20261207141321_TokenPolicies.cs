using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TokenPolicies : Migration
    {
        private const string TokenColumns = "\"Digest\", \"ExpiresAt\", \"Scopes\", \"Permissions\", \"RepositoryAccess\", \"UserId\", \"Kind\", \"CreatedAt\", \"Note\", \"Description\"";

        private static void RaiseEpochOn(MigrationBuilder migrationBuilder, string name, string when) =>
            migrationBuilder.Sql($"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION latchkey_raise_credential_epoch();");

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AllowedNetworks",
                table: "PersonalAccessTokens",
                type: "character varying(2200)",
                maxLength: 2200,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "TokenPolicies",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    ClassicAllowed = table.Column<bool>(type: "boolean", nullable: false),
                    ClassicMaxLifetimeDays = table.Column<int>(type: "integer", nullable: true),
                    ClassicExpiryRequired = table.Column<bool>(type: "boolean", nullable: false),
                    FineGrainedMaxLifetimeDays = table.Column<int>(type: "integer", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedById = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TokenPolicies", x => x.Id);
                });

            // A token's allowed networks and the site's policy are part of what a cached credential depends on (TokenCache).
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS credential_epoch_token_update ON \"PersonalAccessTokens\";");
            RaiseEpochOn(migrationBuilder, "credential_epoch_token_update", $"AFTER UPDATE OF {TokenColumns}, \"AllowedNetworks\" ON \"PersonalAccessTokens\"");
            RaiseEpochOn(migrationBuilder, "credential_epoch_token_policy", "AFTER INSERT OR UPDATE ON \"TokenPolicies\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS credential_epoch_token_policy ON \"TokenPolicies\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS credential_epoch_token_update ON \"PersonalAccessTokens\";");
            RaiseEpochOn(migrationBuilder, "credential_epoch_token_update", $"AFTER UPDATE OF {TokenColumns} ON \"PersonalAccessTokens\"");

            migrationBuilder.DropTable(
                name: "TokenPolicies");

            migrationBuilder.DropColumn(
                name: "AllowedNetworks",
                table: "PersonalAccessTokens");
        }
    }
}
