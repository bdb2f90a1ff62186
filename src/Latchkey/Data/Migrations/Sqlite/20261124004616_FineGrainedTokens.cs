using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FineGrainedTokens : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Description",
                table: "PersonalAccessTokens",
                type: "TEXT",
                maxLength: 1024,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Permissions",
                table: "PersonalAccessTokens",
                type: "TEXT",
                maxLength: 1000,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "RepositoryAccess",
                table: "PersonalAccessTokens",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "TokenRepositories",
                columns: table => new
                {
                    TokenId = table.Column<long>(type: "INTEGER", nullable: false),
                    RepositoryId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TokenRepositories", x => new { x.TokenId, x.RepositoryId });
                    table.ForeignKey(
                        name: "FK_TokenRepositories_PersonalAccessTokens_TokenId",
                        column: x => x.TokenId,
                        principalTable: "PersonalAccessTokens",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_TokenRepositories_Repositories_RepositoryId",
                        column: x => x.RepositoryId,
                        principalTable: "Repositories",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PersonalAccessTokens_UserId_Note",
                table: "PersonalAccessTokens",
                columns: new[] { "UserId", "Note" },
                unique: true,
                filter: "\"Kind\" = 1");

            migrationBuilder.CreateIndex(
                name: "IX_TokenRepositories_RepositoryId",
                table: "TokenRepositories",
                column: "RepositoryId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "TokenRepositories");

            migrationBuilder.DropIndex(
                name: "IX_PersonalAccessTokens_UserId_Note",
                table: "PersonalAccessTokens");

            migrationBuilder.DropColumn(
                name: "Description",
                table: "PersonalAccessTokens");

            migrationBuilder.DropColumn(
                name: "Permissions",
                table: "PersonalAccessTokens");

            migrationBuilder.DropColumn(
                name: "RepositoryAccess",
                table: "PersonalAccessTokens");
        }
    }
}
