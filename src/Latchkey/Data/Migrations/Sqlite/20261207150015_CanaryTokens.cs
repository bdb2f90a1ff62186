using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CanaryTokens : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "CanaryLastTrippedAt",
                table: "PersonalAccessTokens",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "CanaryTrips",
                table: "PersonalAccessTokens",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "IsCanary",
                table: "PersonalAccessTokens",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CanaryLastTrippedAt",
                table: "PersonalAccessTokens");

            migrationBuilder.DropColumn(
                name: "CanaryTrips",
                table: "PersonalAccessTokens");

            migrationBuilder.DropColumn(
                name: "IsCanary",
                table: "PersonalAccessTokens");
        }
    }
}
