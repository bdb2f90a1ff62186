using Latchkey.Hosting;
using Microsoft.Extensions.Options;

namespace Latchkey.Lfs;

/// <summary>Git LFS (section "Lfs").</summary>
public sealed class LfsOptions
{
    /// <summary>The largest object one upload may be, in bytes (5 GiB by default, as GitHub Enterprise's default ceiling).</summary>
    public long MaxObjectSize { get; set; } = 5L * 1024 * 1024 * 1024;

    /// <summary>How many bytes of LFS objects one repository may hold; 0 means no limit (10 GiB by default).</summary>
    public long RepositoryQuotaBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>
    /// How long an upload or download link from a batch answer may be started, in minutes. A transfer
    /// that has started runs on (within Git:MaxPushMinutes); git-lfs asks for fresh links when these expire.
    /// </summary>
    public int LinkMinutes { get; set; } = 60;

    public sealed class Validator : IValidateOptions<LfsOptions>
    {
        public ValidateOptionsResult Validate(string? name, LfsOptions options) => OptionRules.Check(
            options.MaxObjectSize < 1 ? $"Lfs:MaxObjectSize must be a positive number of bytes, not {options.MaxObjectSize}." : null,
            options.RepositoryQuotaBytes < 0 ? $"Lfs:RepositoryQuotaBytes must be a number of bytes, or 0 for no limit, not {options.RepositoryQuotaBytes}." : null,
            options.LinkMinutes is < 1 or > 24 * 60 ? $"Lfs:LinkMinutes must be a number of minutes from 1 to 1440, not {options.LinkMinutes}." : null);
    }
}
