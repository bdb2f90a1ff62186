using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RepositoryMaintenance : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "MaintainedAt",
                table: "Repositories",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "MaintenanceHolder",
                table: "Repositories",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "MaintenanceLeaseUntil",
                table: "Repositories",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "MaintenanceRuns",
                table: "Repositories",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "PushesSinceMaintenance",
                table: "Repositories",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "IX_Repositories_PushesSinceMaintenance",
                table: "Repositories",
                column: "PushesSinceMaintenance");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Repositories_PushesSinceMaintenance",
                table: "Repositories");

            migrationBuilder.DropColumn(
                name: "MaintainedAt",
                table: "Repositories");

            migrationBuilder.DropColumn(
                name: "MaintenanceHolder",
                table: "Repositories");

            migrationBuilder.DropColumn(
                name: "MaintenanceLeaseUntil",
                table: "Repositories");

            migrationBuilder.DropColumn(
                name: "MaintenanceRuns",
                table: "Repositories");

            migrationBuilder.DropColumn(
                name: "PushesSinceMaintenance",
                table: "Repositories");
        }
    }
}
