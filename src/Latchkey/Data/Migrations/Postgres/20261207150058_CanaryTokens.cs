using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Postgres
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
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "CanaryTrips",
                table: "PersonalAccessTokens",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "IsCanary",
                table: "PersonalAccessTokens",
                type: "boolean",
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
