using BenchmarkDotNet.Running;

namespace Latchkey.Benchmarks;

public static class Program
{
    /// <summary>
    /// dotnet run -c Release --project bench/Latchkey.Benchmarks -- --filter '*'
    /// (any BenchmarkDotNet option works: --filter '*TokenFormat*', --job short, ...).
    /// </summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
}
