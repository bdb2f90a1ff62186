using Latchkey.Git;
using Latchkey.Repositories;

namespace Latchkey.Admin;

/// <summary>`latchkey admin maintain`: a repository's background maintenance, now.</summary>
internal static class RepositoryCommands
{
    /// <summary>
    /// Runs <see cref="RepositoryMaintenance"/> on one repository whatever its push count (a repository
    /// pushed before maintenance existed, or a bench), under the same lease as the servers' own runs,
    /// so it is safe beside running nodes.
    /// </summary>
    public static async Task<int> MaintainAsync(IServiceProvider services, string fullName, AdminConsole io, CancellationToken ct)
    {
        var slash = fullName.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == fullName.Length - 1)
            return io.Fail($"'{AccountCommands.Printable(fullName)}' is not <owner>/<repository>.");
        var repo = await services.GetRequiredService<RepositoryService>().FindAsync(fullName[..slash], fullName[(slash + 1)..], ct);
        if (repo is null)
            return io.Fail($"there is no repository named '{AccountCommands.Printable(fullName)}'.");
        var name = $"{repo.Owner!.UserName}/{repo.Name}";
        return await services.GetRequiredService<RepositoryMaintenance>().MaintainAsync(repo.Id, ct) switch
        {
            RepositoryMaintenance.Outcome.Maintained => Done(io, $"Maintained {name}."),
            RepositoryMaintenance.Outcome.Busy => io.Fail($"{name} is being maintained elsewhere, or waits after a failed run (its lease: {repo.MaintenanceHolder ?? "none"} until {repo.MaintenanceLeaseUntil:O}); try again later."),
            RepositoryMaintenance.Outcome.Missing => io.Fail($"there is no repository named '{AccountCommands.Printable(fullName)}'."),
            _ => io.Fail($"the maintenance of {name} failed (the warning above says why)."),
        };
    }

    private static int Done(AdminConsole io, string message)
    {
        io.Out.WriteLine(message);
        return AdminCommandLine.Success;
    }
}
