using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CredentialEpoch : Migration
    {
        private static readonly (string Name, string When)[] CredentialEpochTriggers =
        [
            ("credential_epoch_token_update", "AFTER UPDATE OF \"Digest\", \"ExpiresAt\", \"Scopes\", \"Permissions\", \"RepositoryAccess\", \"UserId\", \"Kind\", \"CreatedAt\", \"Note\", \"Description\" ON \"PersonalAccessTokens\""),
            ("credential_epoch_token_delete", "AFTER DELETE ON \"PersonalAccessTokens\""),
            ("credential_epoch_token_repositories", "AFTER INSERT OR DELETE ON \"TokenRepositories\""),
            ("credential_epoch_user", "AFTER UPDATE OR DELETE ON \"AspNetUsers\""),
        ];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CredentialEpochs",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    Value = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CredentialEpochs", x => x.Id);
                });

            migrationBuilder.InsertData(
                table: "CredentialEpochs",
                columns: new[] { "Id", "Value" },
                values: new object[] { 1, 0L });

            // Whatever a cached credential depends on raises the epoch, whoever writes it (TokenCache).
            // "Last used" columns are left out: they change once a minute per busy token.
            migrationBuilder.Sql("""
                CREATE FUNCTION latchkey_raise_credential_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE "CredentialEpochs" SET "Value" = "Value" + 1 WHERE "Id" = 1;
                    RETURN NULL;
                END $$;
                """);
            foreach (var (name, when) in CredentialEpochTriggers)
                migrationBuilder.Sql($"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION latchkey_raise_credential_epoch();");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var (name, when) in CredentialEpochTriggers)
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {name} ON {when[(when.LastIndexOf(" ON ", StringComparison.Ordinal) + 4)..]};");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS latchkey_raise_credential_epoch();");
            migrationBuilder.DropTable(
                name: "CredentialEpochs");
        }
    }
}
