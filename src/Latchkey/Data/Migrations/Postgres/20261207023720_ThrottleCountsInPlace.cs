using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Latchkey.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ThrottleCountsInPlace : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ThrottleFailures");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ThrottleFailures",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Key = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ThrottleFailures", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ThrottleFailures_At",
                table: "ThrottleFailures",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_ThrottleFailures_Key_At",
                table: "ThrottleFailures",
                columns: new[] { "Key", "At" });
        }
    }
}
