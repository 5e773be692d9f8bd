using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace AioProcessing.Node.Worker;

/// <summary>
/// Starts worker node processes: <c>dotnet exec AioProcessing.Node.dll --spawned</c> from this assembly's folder
/// (the starting application's output folder), with the application's own dependency manifest when it lists this
/// node, so the worker resolves exactly the assemblies the application does.
/// </summary>
public static class WorkerLauncher
{
    private static readonly Lazy<string> DotnetHost = new(FindDotnetHost);
    private static readonly Lazy<(string Dll, string RuntimeConfig, string? DepsFile)> NodeProgram = new(FindNodeProgram);

    /// <summary>The <c>dotnet</c> muxer workers are launched with (the bench launches its floor processes with it too).</summary>
    internal static string DotnetHostPath => DotnetHost.Value;

    /// <summary>
    /// Launches a worker and hands it <paramref name="bootstrap"/> on its standard input. The node program is the
    /// ReadyToRun copy in <see cref="ReadyToRunFolder"/> when the build made one (set <c>AIO_NODE_READY_TO_RUN=0</c>
    /// to use the JIT-compiled one beside this assembly instead).
    /// </summary>
    public static WorkerProcess Launch(WorkerBootstrap bootstrap) => Launch(bootstrap, fullyOptimized: false);

    /// <summary>
    /// As <see cref="Launch(WorkerBootstrap)"/>; with <paramref name="fullyOptimized"/>, the node runs with the JIT's
    /// tiering off: every method the ReadyToRun image lacks (the library's worker side, the user's code) is compiled
    /// fully optimized at its first call instead of running unoptimized until tier 1 catches up, and no background
    /// recompilation competes with the work for the CPU. Measured for a pool's workers on 2 cores: pool_cpu_speedup
    /// 1.54-1.57 with tiering, 1.74-1.77 without; the start costs about 110 ms more.
    /// </summary>
    internal static WorkerProcess Launch(WorkerBootstrap bootstrap, bool fullyOptimized)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        var (nodeDll, runtimeConfig, depsFile) = NodeProgram.Value;
        var start = new ProcessStartInfo(DotnetHost.Value)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardError = true,
            // The target's output goes where the parent's goes, as with Python's multiprocessing.
            RedirectStandardOutput = false,
            WorkingDirectory = Environment.CurrentDirectory,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add("--runtimeconfig");
        start.ArgumentList.Add(runtimeConfig);
        if (depsFile is not null)
        {
            start.ArgumentList.Add("--depsfile");
            start.ArgumentList.Add(depsFile);
        }

        start.ArgumentList.Add(nodeDll);
        start.ArgumentList.Add("--spawned");
        // Start-up speed: a short-lived node gains nothing from profile-guided re-JIT.
        start.Environment["DOTNET_TieredPGO"] = "0";
        start.Environment["DOTNET_TC_QuickJitForLoops"] = "1";
        // An idle node runs little but heartbeats, a few times a second; at the default 30 calls each of those
        // methods was recompiled in turn over the node's first minute, and that recompilation was most of an idle
        // worker's CPU then. Code a target really works hard still reaches 1000 calls within milliseconds.
        start.Environment["DOTNET_TC_CallCountThreshold"] = "1000";
        // Socket completions on the socket engine's own thread, not the thread pool: a target that blocks pool
        // threads in sync facades must not starve the reads that carry their answers (DotNetty reads through them).
        start.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        // A diagnostic tool that launched the application (dotnet-counters collect -- app, dotnet-trace) hands it a
        // port to connect to, usually with "suspend": a worker that inherited it would wait for that tool forever.
        start.Environment.Remove("DOTNET_DiagnosticPorts");

        if (fullyOptimized)
        {
            start.Environment["DOTNET_TieredCompilation"] = "0";
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        return new WorkerProcess(process, bootstrap);
    }

    /// <summary>
    /// Decides now, on a thread-pool thread, which node program workers run, so that the first launch does not wait
    /// for it (checking the versions of the ReadyToRun node's assemblies takes 40-50 ms here). Called as a context starts.
    /// </summary>
    internal static void LocateNodeProgramInBackground() => _ = Task.Run(() => NodeProgram.Value);

    /// <summary>The folder of the ReadyToRun-compiled node that the build puts beside the application, if any.</summary>
    public static string ReadyToRunFolder => Path.Combine(Path.GetDirectoryName(typeof(WorkerLauncher).Assembly.Location)!, "aio-node");

    // Prefer the ReadyToRun copy in aio-node/ (its own deps.json; the application's folder is probed for the rest);
    // otherwise this very assembly, resolving through the application's deps.json.
    private static (string Dll, string RuntimeConfig, string? DepsFile) FindNodeProgram()
    {
        var r2r = Path.Combine(ReadyToRunFolder, "AioProcessing.Node.dll");
        var r2rConfig = Path.ChangeExtension(r2r, ".runtimeconfig.json");
        if (File.Exists(r2r) && File.Exists(r2rConfig) && Environment.GetEnvironmentVariable("AIO_NODE_READY_TO_RUN") != "0"
            && OlderThanApplications(ReadyToRunFolder, Path.GetDirectoryName(ReadyToRunFolder)!) is null)
        {
            return (r2r, r2rConfig, null);
        }

        return (typeof(WorkerLauncher).Assembly.Location, FindOrWriteRuntimeConfig(), ApplicationDepsFile());
    }

    /// <summary>
    /// The first assembly of the node in <paramref name="nodeFolder"/> whose version is below the application's own
    /// copy in <paramref name="applicationFolder"/>, or null. A worker loads the node's copies first, and code built
    /// against a later version (an application that lifted MessagePack or Akka above the library's) cannot load on
    /// an earlier one: such an application's workers start on the JIT-compiled node, which resolves as it does.
    /// </summary>
    internal static string? OlderThanApplications(string nodeFolder, string applicationFolder)
    {
        foreach (var nodeCopy in Directory.EnumerateFiles(nodeFolder, "*.dll"))
        {
            var applicationCopy = Path.Combine(applicationFolder, Path.GetFileName(nodeCopy));
            if (nodeCopy.EndsWith(".r2r.dll", StringComparison.OrdinalIgnoreCase) || !File.Exists(applicationCopy))
            {
                continue;
            }

            try
            {
                var ours = System.Reflection.AssemblyName.GetAssemblyName(nodeCopy).Version;
                var theirs = System.Reflection.AssemblyName.GetAssemblyName(applicationCopy).Version;
                if (ours < theirs)
                {
                    return Path.GetFileName(nodeCopy);
                }
            }
            catch (BadImageFormatException)
            {
                // Not an assembly (a native library beside them): not the worker's to bind.
            }
        }

        return null;
    }

    // The application's deps.json lists every assembly it resolves, this node included when it references the API.
    private static string? ApplicationDepsFile()
    {
        var files = AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string;
        var first = files?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (first is null || !File.Exists(first))
        {
            return null;
        }

        return File.ReadAllText(first).Contains("\"AioProcessing.Node/", StringComparison.Ordinal) ? first : null;
    }

    private static string FindDotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        // An apphost-launched application: the muxer sits three levels above the shared runtime folder.
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory();
        var root = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var muxer = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(muxer) ? muxer : "dotnet";
    }

    // Prefer the node's own runtimeconfig; an application that copied only the dll gets one written for this runtime,
    // in this user's own directory (mode 700, as the lane's): a runtimeconfig another user could replace would let
    // them choose what the worker loads. Per library version, so that two versions side by side do not collide.
    private static string FindOrWriteRuntimeConfig()
    {
        var own = Path.ChangeExtension(typeof(WorkerLauncher).Assembly.Location, ".runtimeconfig.json");
        return File.Exists(own) ? own : WriteRuntimeConfig();
    }

    /// <summary>Writes a runtimeconfig for this runtime in this user's directory for this library version; its path.</summary>
    internal static string WriteRuntimeConfig()
    {
        var version = Environment.Version;
        var dir = Path.Combine(Lane.LaneDirectory.Resolve(null), "node-" + typeof(WorkerLauncher).Assembly.GetName().Version);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
        }
        else
        {
            Lane.LaneDirectory.Secure(Path.GetDirectoryName(dir)!);
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var path = Path.Combine(dir, $"AioProcessing.Node.{version}.runtimeconfig.json");
        var json = "{\"runtimeOptions\":{\"tfm\":\"net" + version.Major + "." + version.Minor
            + "\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"" + version
            + "\"},\"configProperties\":{\"System.Runtime.TieredPGO\":false}}}";
        File.WriteAllText(path, json);
        return path;
    }
}

/// <summary>
/// A launched worker OS process. Its standard input stays open for its whole life: when this process dies, the
/// pipe closes and the worker exits by itself. Its standard error is echoed here and its tail kept for error messages.
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    private const int StderrTailChars = 16 * 1024;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _stderrPump;
    private int _signalSent;
    private int _disposed;

    internal WorkerProcess(Process process, WorkerBootstrap bootstrap)
    {
        _process = process;
        Pid = process.Id;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _ = CompleteExitAsync();
        _stderrPump = Task.Run(PumpStderrAsync);
        try
        {
            process.StandardInput.WriteLine(bootstrap.ToLine());
            process.StandardInput.Flush();
        }
        catch (IOException)
        {
            // The process died at once; Exited reports it with its stderr.
        }

        if (process.HasExited)
        {
            _ = CompleteExitAsync();
        }
    }

    /// <summary>The OS process id.</summary>
    public int Pid { get; }

    /// <summary>Completes with the raw OS exit code when the process has exited and its stderr is drained.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>The signal this side sent (9 for <see cref="Kill"/>, 15 for <see cref="Terminate"/>), or 0.</summary>
    public int SignalSent => Volatile.Read(ref _signalSent);

    /// <summary>The last 16 KiB the process wrote to standard error.</summary>
    public string StderrTail
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Kills the process at once (SIGKILL).</summary>
    public void Kill()
    {
        Interlocked.CompareExchange(ref _signalSent, 9, 0);
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <summary>Asks the process to end (SIGTERM on Unix; a kill on Windows, which has no such signal).</summary>
    public void Terminate()
    {
        if (OperatingSystem.IsWindows())
        {
            Kill();
            return;
        }

        Interlocked.CompareExchange(ref _signalSent, 15, 0);
        _ = NativeMethods.Kill(Pid, 15);
    }

    /// <summary>Kills the process if it still runs and releases the handle; once, from whichever thread comes first.</summary>
    public void Dispose()
    {
        // Process is not safe to dispose from two threads at once (seen: a NullReferenceException inside Close()).
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_exited.Task.IsCompleted)
        {
            Kill();
        }

        _process.Dispose();
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = await _process.StandardError.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                await Console.Error.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                lock (_stderr)
                {
                    _stderr.Append(buffer, 0, read);
                    if (_stderr.Length > StderrTailChars)
                    {
                        _stderr.Remove(0, _stderr.Length - StderrTailChars);
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (IOException)
        {
        }
    }

    private async Task CompleteExitAsync()
    {
        if (_exited.Task.IsCompleted)
        {
            return;
        }

        // Drain stderr (bounded: a grandchild holding the pipe must not block us) so that error messages are whole.
        await Task.WhenAny(_stderrPump, Task.Delay(500)).ConfigureAwait(false);
        int code;
        try
        {
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            code = -1;
        }

        _exited.TrySetResult(code);
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // A plain int signature needs no marshalling source generator.
        public static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054
    }
}
