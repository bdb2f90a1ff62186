using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace Latchkey.Git;

/// <summary>
/// The pipes between the server and its git processes. Linux gives a pipe 64 KiB, so a clone of a
/// large repository reaches the server in thousands of reads, each a wake of a thread; a larger
/// pipe lets git run ahead and a read take more at once when the server is the slower side.
/// </summary>
public static class Pipes
{
    /// <summary>What a pipe is given: 1 MiB, the default most systems allow an unprivileged process (/proc/sys/fs/pipe-max-size).</summary>
    public const int Size = 1024 * 1024;

    private const int FSetPipeSize = 1031; // F_SETPIPE_SZ

    // DllImport, not LibraryImport: the generated marshalling needs unsafe code, which this project does not allow; three ints need none.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);
#pragma warning restore SYSLIB1054

    /// <summary>Enlarges the pipe under <paramref name="stream"/> where the system allows it; elsewhere nothing changes.</summary>
    public static void TryEnlarge(Stream stream)
    {
        if (!OperatingSystem.IsLinux() || stream is not PipeStream { SafePipeHandle: { IsInvalid: false } handle })
            return;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            // A refusal (EPERM over the limit, EBUSY) leaves the pipe as it was, which works.
            _ = Fcntl((int)handle.DangerousGetHandle(), FSetPipeSize, Size);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }
}
