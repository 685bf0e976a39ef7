#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Signal names as scenarios spell them, and the names reports use for signals that ended a process.
enum POSIXSignal {
    /// The signals a `kill` step may send.
    static let sendable: [(name: String, number: Int32)] = [
        ("KILL", SIGKILL), ("TERM", SIGTERM), ("INT", SIGINT), ("HUP", SIGHUP), ("QUIT", SIGQUIT),
        ("USR1", SIGUSR1), ("USR2", SIGUSR2), ("STOP", SIGSTOP), ("CONT", SIGCONT),
    ]

    /// Signals that may end a process without being sent by a step, named in "killed by signal" summaries.
    private static let others: [(name: String, number: Int32)] = [
        ("ABRT", SIGABRT), ("SEGV", SIGSEGV), ("BUS", SIGBUS), ("FPE", SIGFPE), ("ILL", SIGILL),
        ("PIPE", SIGPIPE), ("ALRM", SIGALRM), ("TRAP", SIGTRAP), ("SYS", SIGSYS), ("XCPU", SIGXCPU),
        ("XFSZ", SIGXFSZ), ("TSTP", SIGTSTP), ("TTIN", SIGTTIN), ("TTOU", SIGTTOU),
    ]

    /// The number for `KILL`, `kill` or `SIGKILL`; nil for a name a step may not send.
    static func number(named name: String) -> Int32? {
        var upper = name.uppercased()
        if upper.hasPrefix("SIG") { upper.removeFirst(3) }
        return sendable.first { $0.name == upper }?.number
    }

    /// `KILL` for 9; nil for a number without a well-known name.
    static func name(of number: Int32) -> String? {
        (sendable + others).first { $0.number == number }?.name
    }

    /// "signal 9 (KILL)", or "signal 42" when the number has no name here.
    static func describe(_ number: Int32) -> String {
        name(of: number).map { "signal \(number) (\($0))" } ?? "signal \(number)"
    }

    static var sendableNames: String { sendable.map(\.name).joined(separator: " ") }
}
