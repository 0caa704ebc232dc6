using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace UcloudIm.Unix;

/// <summary>
/// A program on a pseudo-terminal of its own: a new session whose controlling terminal is the PTY, so that
/// a shell gets job control, ^C, and a window size. Started with posix_spawn, not fork: after fork in a
/// multi-threaded runtime only async-signal-safe calls are allowed until exec, and glibc's posix_spawn does
/// exactly setsid, the terminal's open and exec there. The program runs as the caller (a user instance runs
/// as its user), with signal dispositions reset (the runtime ignores SIGPIPE, which exec would keep).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class Pty : IDisposable
{
    private const int O_RDWR = 0x2, O_NOCTTY = 0x100, O_CLOEXEC = 0x80000;
    private const ulong TIOCSWINSZ = 0x5414;
    private const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    private const int SIGHUP = 1, SIGKILL = 9, SIGTERM = 15;
    private const int WNOHANG = 1;
    private const int EINTR = 4, EIO = 5, ECHILD = 10, EAGAIN = 11;
    private const short POLLIN = 0x1;

    private readonly SafeFileHandle _master;
    private int _exited;

    private Pty(SafeFileHandle master, int pid)
    {
        _master = master;
        Pid = pid;
    }

    public int Pid { get; }

    /// <summary>
    /// What the program wrote to its terminal, blocking until there is some; 0 once the program and everything
    /// it started have closed the terminal (EIO on Linux). Polls in short slices, so that a cancellation ends the
    /// wait even while a process that ignored the hang-up still holds the terminal open.
    /// </summary>
    public int Read(Span<byte> buffer, CancellationToken ct)
    {
        // Held while in use: a Dispose meanwhile closes the descriptor only afterwards, so its number is never reused under us.
        var added = false;
        _master.DangerousAddRef(ref added);
        try
        {
            return ReadHeld((int)_master.DangerousGetHandle(), buffer, ct);
        }
        finally
        {
            if (added) _master.DangerousRelease();
        }
    }

    private static unsafe int ReadHeld(int fd, Span<byte> buffer, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var p = new PollFd { Fd = fd, Events = POLLIN };
            var ready = poll(&p, 1, 200);
            if (ready < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
            if (ready < 0) throw Failed("poll");
            if (ready == 0) continue;
            fixed (byte* b = buffer)
            {
                var n = read(fd, b, (nuint)buffer.Length);
                if (n >= 0) return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR || errno == EAGAIN) continue;
                if (errno == EIO) return 0;
                throw Failed("read");
            }
        }
    }

    /// <summary>Input for the program, as if typed; blocks while the terminal's input buffer is full.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        var added = false;
        _master.DangerousAddRef(ref added);
        try
        {
            WriteHeld((int)_master.DangerousGetHandle(), data);
        }
        finally
        {
            if (added) _master.DangerousRelease();
        }
    }

    private static unsafe void WriteHeld(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* b = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = write(fd, b + done, (nuint)(data.Length - done));
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR) continue;
                    throw Failed("write");
                }
                done += (int)n;
            }
        }
    }

    /// <summary>Starts <paramref name="file"/> (an absolute path) with <paramref name="argv"/> (argv[0] included) in <paramref name="directory"/>.</summary>
    public static unsafe Pty Start(string file, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, string directory, int columns, int rows)
    {
        var master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0) throw Failed("posix_openpt");
        var handle = new SafeFileHandle(master, ownsHandle: true);
        try
        {
            if (grantpt(master) != 0) throw Failed("grantpt");
            if (unlockpt(master) != 0) throw Failed("unlockpt");
            var name = stackalloc byte[128];
            if (ptsname_r(master, name, 128) != 0) throw Failed("ptsname_r");
            SetSize(master, columns, rows);
            var pid = Spawn(file, argv, environment, directory, Marshal.PtrToStringUTF8((nint)name)!);
            return new Pty(handle, pid);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The window size the program sees (it gets SIGWINCH).</summary>
    public void Resize(int columns, int rows) => SetSize((int)_master.DangerousGetHandle(), columns, rows);

    /// <summary>Exit status once the program has ended (reaped here), or null while it runs.</summary>
    public unsafe int? ExitStatus()
    {
        if (Volatile.Read(ref _exited) != 0) return _status;
        int status;
        var r = waitpid(Pid, &status, WNOHANG);
        if (r == Pid || (r < 0 && Marshal.GetLastPInvokeError() == ECHILD))
        {
            _status = r == Pid ? status : -1;
            Volatile.Write(ref _exited, 1);
            return _status;
        }
        return null;
    }

    private int _status;

    /// <summary>
    /// Ends the session as a closed terminal window does: SIGHUP and SIGTERM to its process group, SIGKILL if it
    /// has not gone within <paramref name="grace"/>, and the child reaped so that no zombie is left. The terminal
    /// stays open until <see cref="Dispose"/>.
    /// </summary>
    public async Task HangUpAsync(TimeSpan grace)
    {
        if (ExitStatus() is null)
        {
            Libc.kill(-Pid, SIGHUP);
            Libc.kill(-Pid, SIGTERM);
            var until = DateTime.UtcNow + grace;
            while (ExitStatus() is null && DateTime.UtcNow < until) await Task.Delay(50);
            if (ExitStatus() is null)
            {
                Libc.kill(-Pid, SIGKILL);
                while (ExitStatus() is null) await Task.Delay(20);
            }
        }
    }

    public void Dispose() => _master.Dispose();

    private static unsafe void SetSize(int fd, int columns, int rows)
    {
        var size = new WinSize { Rows = (ushort)Math.Clamp(rows, 1, 1000), Columns = (ushort)Math.Clamp(columns, 1, 1000) };
        if (ioctl(fd, TIOCSWINSZ, &size) != 0) throw Failed("ioctl(TIOCSWINSZ)");
    }

    private static unsafe int Spawn(string file, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, string directory, string terminal)
    {
        // glibc's posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80 on x86_64 and aarch64; room to spare.
        var attributes = NativeMemory.AllocZeroed(1024);
        var actions = NativeMemory.AllocZeroed(1024);
        var signals = NativeMemory.AllocZeroed(256);
        var strings = new List<nint>();
        try
        {
            Check(posix_spawnattr_init(attributes), "posix_spawnattr_init");
            Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            sigfillset(signals);
            Check(posix_spawnattr_setsigdefault(attributes, signals), "posix_spawnattr_setsigdefault");
            sigemptyset(signals);
            Check(posix_spawnattr_setsigmask(attributes, signals), "posix_spawnattr_setsigmask");
            Check(posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), "posix_spawnattr_setflags");
            // setsid comes before the file actions in glibc's child, so this open (without O_NOCTTY) makes the
            // terminal the new session's controlling terminal.
            Check(posix_spawn_file_actions_addopen(actions, 0, terminal, O_RDWR, 0), "addopen");
            Check(posix_spawn_file_actions_adddup2(actions, 0, 1), "adddup2");
            Check(posix_spawn_file_actions_adddup2(actions, 0, 2), "adddup2");
            Check(posix_spawn_file_actions_addchdir_np(actions, directory), "addchdir");
            var argvp = Strings(argv, strings);
            var envp = Strings(environment.Select(e => e.Key + "=" + e.Value).ToList(), strings);
            int pid;
            Check(posix_spawn(&pid, file, actions, attributes, argvp, envp), $"posix_spawn {file}");
            return pid;
        }
        finally
        {
            posix_spawn_file_actions_destroy(actions);
            posix_spawnattr_destroy(attributes);
            foreach (var p in strings) Marshal.FreeHGlobal(p);
            NativeMemory.Free(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(signals);
        }
    }

    /// <summary>A NULL-terminated array of UTF-8 strings, freed by the caller through <paramref name="owned"/>.</summary>
    private static unsafe byte** Strings(IReadOnlyList<string> values, List<nint> owned)
    {
        var array = (byte**)Marshal.AllocHGlobal((values.Count + 1) * sizeof(nint));
        owned.Add((nint)array);
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i].Contains('\0')) throw new ArgumentException("an argument or variable holds a NUL character");
            var s = Marshal.StringToCoTaskMemUTF8(values[i]);
            // StringToCoTaskMemUTF8 is malloc on Unix, as is AllocHGlobal: one FreeHGlobal fits both.
            owned.Add(s);
            array[i] = (byte*)s;
        }
        array[values.Count] = null;
        return array;
    }

    private static void Check(int result, string what)
    {
        if (result != 0) throw new Win32Exception(result, $"{what}: {new Win32Exception(result).Message}");
    }

    private static Win32Exception Failed(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new Win32Exception(errno, $"{what}: {new Win32Exception(errno).Message}");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int posix_openpt(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint read(int fd, byte* buf, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint write(int fd, byte* buf, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int grantpt(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int unlockpt(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int ptsname_r(int fd, byte* buf, nuint len);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int ioctl(int fd, ulong request, WinSize* size);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int waitpid(int pid, int* status, int options);

    [LibraryImport("libc")]
    private static unsafe partial int sigfillset(void* set);

    [LibraryImport("libc")]
    private static unsafe partial int sigemptyset(void* set);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawnattr_setsigdefault(void* attr, void* set);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawnattr_setsigmask(void* attr, void* set);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int posix_spawn_file_actions_addopen(void* actions, int fd, string path, int flags, uint mode);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int posix_spawn_file_actions_addchdir_np(void* actions, string path);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int posix_spawn(int* pid, string path, void* actions, void* attr, byte** argv, byte** envp);
}
