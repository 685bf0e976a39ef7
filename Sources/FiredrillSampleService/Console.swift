import Foundation

/// Unbuffered lines on stdout/stderr: the daemon's output goes to a file, where buffered `print`
/// output would show up late or, after SIGKILL, never.
enum Console {
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func warn(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
