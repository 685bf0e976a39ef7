import Foundation

/// Finds executables built alongside the running test binary, so tests can launch them as real processes.
public enum BuiltProducts {
    /// The path of the executable product `product` in the build directory, or nil when it was not built.
    ///
    /// On Linux the test binary sits in the build directory itself; an `.xctest` bundle (macOS) sits
    /// inside it, so the directories holding each enclosing bundle are searched as well.
    public static func path(of product: String) -> String? {
        for directory in searchDirectories() {
            let candidate = (directory as NSString).appendingPathComponent(product)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    private static func searchDirectories() -> [String] {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath
            ?? CommandLine.arguments[0]
        var directories: [String] = []
        var directory = (executable as NSString).deletingLastPathComponent
        directories.append(directory)
        while directory != "/" && !directory.isEmpty {
            let parent = (directory as NSString).deletingLastPathComponent
            if directory.hasSuffix(".xctest") { directories.append(parent) }
            directory = parent
        }
        return directories
    }
}
