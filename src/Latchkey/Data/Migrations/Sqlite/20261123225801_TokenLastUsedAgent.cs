using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TokenLastUsedAgent : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "LastUsedUserAgent",
                table: "PersonalAccessTokens",
                type: "TEXT",
                maxLength: 256,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "LastUsedUserAgent",
                table: "PersonalAccessTokens");
        }
    }
}
