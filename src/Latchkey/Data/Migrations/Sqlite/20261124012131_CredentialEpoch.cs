using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CredentialEpoch : Migration
    {
        private static readonly (string Name, string When)[] CredentialEpochTriggers =
        [
            ("credential_epoch_token_update", "AFTER UPDATE OF \"Digest\", \"ExpiresAt\", \"Scopes\", \"Permissions\", \"RepositoryAccess\", \"UserId\", \"Kind\", \"CreatedAt\", \"Note\", \"Description\" ON \"PersonalAccessTokens\""),
            ("credential_epoch_token_delete", "AFTER DELETE ON \"PersonalAccessTokens\""),
            ("credential_epoch_token_repositories_insert", "AFTER INSERT ON \"TokenRepositories\""),
            ("credential_epoch_token_repositories_delete", "AFTER DELETE ON \"TokenRepositories\""),
            ("credential_epoch_user_update", "AFTER UPDATE ON \"AspNetUsers\""),
            ("credential_epoch_user_delete", "AFTER DELETE ON \"AspNetUsers\""),
        ];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CredentialEpochs",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    Value = table.Column<long>(type: "INTEGER", nullable: false)
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
            foreach (var (name, when) in CredentialEpochTriggers)
                migrationBuilder.Sql($"CREATE TRIGGER \"{name}\" {when} BEGIN UPDATE \"CredentialEpochs\" SET \"Value\" = \"Value\" + 1 WHERE \"Id\" = 1; END;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var (name, _) in CredentialEpochTriggers)
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS \"{name}\";");
            migrationBuilder.DropTable(
                name: "CredentialEpochs");
        }
    }
}
