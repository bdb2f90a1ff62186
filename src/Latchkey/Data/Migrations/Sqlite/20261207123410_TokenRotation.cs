using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TokenRotation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PersonalAccessTokens_UserId_Note",
                table: "PersonalAccessTokens");

            migrationBuilder.AddColumn<DateTime>(
                name: "RotatedAt",
                table: "PersonalAccessTokens",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_PersonalAccessTokens_UserId_Note",
                table: "PersonalAccessTokens",
                columns: new[] { "UserId", "Note" },
                unique: true,
                filter: "\"Kind\" = 1 AND \"RotatedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PersonalAccessTokens_UserId_Note",
                table: "PersonalAccessTokens");

            migrationBuilder.DropColumn(
                name: "RotatedAt",
                table: "PersonalAccessTokens");

            migrationBuilder.CreateIndex(
                name: "IX_PersonalAccessTokens_UserId_Note",
                table: "PersonalAccessTokens",
                columns: new[] { "UserId", "Note" },
                unique: true,
                filter: "\"Kind\" = 1");
        }
    }
}
