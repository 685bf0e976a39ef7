import FiredrillCore
import Foundation

/// Prints the HTML report to PDF with headless Chromium, the browser most likely installed on a
/// Linux machine (Debian's `chromium`); nothing else is needed.
enum PDFPrinter {
    static let candidates = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

    static func browser(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let chosen = environment["FIREDRILL_CHROMIUM"], !chosen.isEmpty { return chosen }
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        for name in candidates {
            for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }

    /// Prints, then dates the PDF by the record (`wallNs`) instead of the clock, so the same
    /// record gives the same bytes here too.
    static func print(html: String, to path: String, datedAt wallNs: Int64) throws {
        guard let browser = browser() else {
            throw CommandFailure.usage("--format pdf needs headless Chromium, which is not installed: apt-get install chromium "
                + "(or set FIREDRILL_CHROMIUM to a Chromium or Chrome binary); --format html prints from any browser")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let page = work.appendingPathComponent("report.html")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        // --no-sandbox: Chromium refuses to run as root with its sandbox; the page is our own file.
        // --disable-pdf-tagging: the structure tree names its elements by Chromium's own DOM node
        // ids, which a busy machine hands out in another order, so the same record printed twice
        // gave different bytes. The HTML report is the one for screen readers.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(work.appendingPathComponent("profile").path)", "--no-pdf-header-footer",
                             "--disable-pdf-tagging", "--print-to-pdf=\(target)", page.absoluteString]
        let log = work.appendingPathComponent("chromium.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try? FileManager.default.removeItem(atPath: target)
        try process.run()
        process.waitUntilExit()
        try? handle.close()
        let written = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
        guard process.terminationStatus == 0, written > 0 else {
            let said = (try? String(contentsOf: log, encoding: .utf8)).map { String($0.suffix(600)) } ?? ""
            throw CommandFailure.internalError("Chromium (\(browser)) did not print the PDF (exit \(process.terminationStatus)): \(said)")
        }
        let printed = try Data(contentsOf: URL(fileURLWithPath: target))
        try redate(printed, to: wallNs).write(to: URL(fileURLWithPath: target))
    }

    /// Chromium writes `/CreationDate (D:20261121093608+00'00')` and `/ModDate` from its clock;
    /// each is overwritten in place with the same number of bytes, so the cross-reference
    /// offsets stay right.
    static func redate(_ pdf: Data, to wallNs: Int64) -> Data {
        let digits = Array(WallTime.iso8601(wallNs).filter(\.isNumber).utf8)
        let stamp = digits + Array("+00'00'".utf8)
        var bytes = [UInt8](pdf)
        for key in ["/CreationDate (D:", "/ModDate (D:"] {
            let pattern = Array(key.utf8)
            var i = 0
            while i + pattern.count + stamp.count <= bytes.count {
                if bytes[i] == pattern[0], Array(bytes[i..<(i + pattern.count)]) == pattern {
                    let start = i + pattern.count
                    let old = bytes[start..<(start + stamp.count)]
                    // Only a date of exactly this shape: digits, a sign, HH'MM'.
                    if old.prefix(14).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), [0x2B, 0x2D, 0x5A].contains(old[start + 14]),
                       old[start + 17] == 0x27, old[start + 20] == 0x27 {
                        bytes.replaceSubrange(start..<(start + stamp.count), with: stamp)
                    }
                    i = start
                } else {
                    i += 1
                }
            }
        }
        return Data(bytes)
    }
}
