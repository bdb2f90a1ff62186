using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class HashedTokens : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "TokenHash",
                table: "SecurityLog",
                type: "TEXT",
                maxLength: 44,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "HashedToken",
                table: "PersonalAccessTokens",
                type: "TEXT",
                maxLength: 44,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_SecurityLog_TokenHash",
                table: "SecurityLog",
                column: "TokenHash");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_SecurityLog_TokenHash",
                table: "SecurityLog");

            migrationBuilder.DropColumn(
                name: "TokenHash",
                table: "SecurityLog");

            migrationBuilder.DropColumn(
                name: "HashedToken",
                table: "PersonalAccessTokens");
        }
    }
}
