using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace Latchkey.Benchmarks;

/// <summary>
/// BenchmarkDotNet's defaults (console, markdown/CSV exporters) with one launch, a few warm-ups and
/// ten measured iterations: enough on a shared 2-core machine to tell microseconds from
/// milliseconds. Allocations are shown because the issue asks about them on the hot path.
/// A --job on the command line replaces this job.
/// </summary>
public static class BenchConfig
{
    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10).WithId("bench").AsDefault())
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(StatisticColumn.Median, StatisticColumn.P95)
        .WithOptions(ConfigOptions.JoinSummary);
}
