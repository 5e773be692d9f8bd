// The soak: a mixed workload of locks, queues and pool maps across worker processes for a few minutes, with workers
// killed at random, then an exact check that no queue item and no pool result was lost or duplicated.
//   dotnet run -c Release --project tests/AioProcessing.Soak -- [--seconds 180] [--workers 4] [--seed 1]
// Prints progress to stderr and one JSON line of results to stdout; exits 0 when every check held, 1 otherwise.
using System.Globalization;
using AioProcessing.Soak;

var seconds = 180;
var workers = 4;
var seed = 1;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--seconds": seconds = value; break;
        case "--workers": workers = value; break;
        case "--seed": seed = value; break;
        default:
            await Console.Error.WriteLineAsync($"unknown option {args[i]}; usage: [--seconds N] [--workers N] [--seed N]");
            return 2;
    }
}

var report = await SoakRun.RunAsync(TimeSpan.FromSeconds(seconds), workers, seed, Console.Error);
Console.WriteLine(report.ToJson());
return report.Ok ? 0 : 1;
