import FiredrillCore
import Foundation
import Synchronization

/// Prints the HTML report to PDF with wkhtmltopdf when it is installed (Debian's `wkhtmltopdf`:
/// a third of a second), otherwise with headless Chromium (Debian's `chromium`: more than a
/// second to start). Either is asked for by `FIREDRILL_WKHTMLTOPDF` or `FIREDRILL_CHROMIUM`.
enum PDFPrinter {
    enum Engine: Equatable {
        case wkhtmltopdf(String)
        case chromium(String)
    }

    static let chromiums = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

    static func engine(environment: [String: String] = ProcessInfo.processInfo.environment) -> Engine? {
        if let chosen = environment["FIREDRILL_CHROMIUM"], !chosen.isEmpty { return .chromium(chosen) }
        if let chosen = environment["FIREDRILL_WKHTMLTOPDF"], !chosen.isEmpty { return .wkhtmltopdf(chosen) }
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        func find(_ name: String) -> String? {
            path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        if let found = find("wkhtmltopdf") { return .wkhtmltopdf(found) }
        return chromiums.lazy.compactMap(find).first.map(Engine.chromium)
    }

    /// Prints, then dates the PDF by the record (`wallNs`) instead of the clock, so the same
    /// record gives the same bytes here too.
    static func print(html: String, to path: String, datedAt wallNs: Int64) throws {
        guard let engine = engine() else {
            throw CommandFailure.usage("--format pdf needs wkhtmltopdf or headless Chromium, and neither is installed: apt-get install wkhtmltopdf "
                + "(or apt-get install chromium; FIREDRILL_WKHTMLTOPDF or FIREDRILL_CHROMIUM name a binary); --format html prints from any browser")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: work) }
        let page = work.appendingPathComponent("report.html")
        try confined(html).write(to: page, atomically: true, encoding: .utf8)
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        let process = Process()
        var input: FileHandle = FileHandle.nullDevice
        let binary: String
        switch engine {
        case .wkhtmltopdf(let path):
            binary = path
            process.executableURL = URL(fileURLWithPath: path)
            // The page comes on standard input, with no script, no reading of local files, and the
            // network behind a proxy that is not there: a team's template gets no more than our own
            // escaped HTML. What it links fails to load, which is not a failure to print.
            process.arguments = ["--quiet", "--disable-javascript", "--disable-local-file-access", "--proxy", Self.noProxy,
                                 "--load-error-handling", "ignore", "--load-media-error-handling", "ignore",
                                 "--encoding", "utf-8", "-", target]
            var environment = ProcessInfo.processInfo.environment
            // offscreen: no display; a fixed hash seed: Qt embeds the fonts in its hash order,
            // which is otherwise random, so the same record printed twice gave different bytes.
            environment["QT_QPA_PLATFORM"] = "offscreen"
            environment["QT_HASH_SEED"] = "0"
            environment["XDG_RUNTIME_DIR"] = work.path
            process.environment = environment
            input = try FileHandle(forReadingFrom: page)
        case .chromium(let path):
            binary = path
            process.executableURL = URL(fileURLWithPath: path)
            // --no-sandbox: Chromium refuses to run as root with its sandbox; the page is our own file.
            // --disable-pdf-tagging: the structure tree names its elements by Chromium's own DOM node
            // ids, which a busy machine hands out in another order, so the same record printed twice
            // gave different bytes. The HTML report is the one for screen readers.
            // --proxy-server: the network behind a proxy that is not there; the page's own policy
            // (`confined`) keeps it from loading files and running scripts.
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                 "--proxy-server=\(Self.noProxy)", "--proxy-bypass-list=<-loopback>",
                                 "--user-data-dir=\(work.appendingPathComponent("profile").path)", "--no-pdf-header-footer",
                                 "--disable-pdf-tagging", "--print-to-pdf=\(target)", page.absoluteString]
        }
        let log = work.appendingPathComponent("printer.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = input
        try? FileManager.default.removeItem(atPath: target)
        try process.run()
        // A printer that hangs (a resource that never answers) is stopped, not waited on forever.
        let stopped = Mutex(false)
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.timeLimit) {
            stopped.withLock { stoppedNow in
                guard process.isRunning else { return }
                stoppedNow = true
                kill(pid, SIGKILL)
            }
        }
        process.waitUntilExit()
        if stopped.withLock({ $0 }) {
            try? handle.close()
            throw CommandFailure.internalError("\(binary) did not print the PDF within \(Int(Self.timeLimit)) s and was stopped")
        }
        try? handle.close()
        try? input.close()
        let written = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
        guard process.terminationStatus == 0, written > 0 else {
            let said = (try? String(contentsOf: log, encoding: .utf8)).map { String($0.suffix(600)) } ?? ""
            throw CommandFailure.internalError("\(binary) did not print the PDF (exit \(process.terminationStatus)): \(said)")
        }
        let printed = try Data(contentsOf: URL(fileURLWithPath: target))
        try redate(printed, to: wallNs).write(to: URL(fileURLWithPath: target))
    }

    /// Loopback's discard port: nothing listens there, so every load through it fails at once.
    static let noProxy = "http://127.0.0.1:9"
    static let timeLimit: TimeInterval = 120

    /// The page with a policy that lets it load nothing but itself (no scripts, files or network;
    /// inline styles and data: images only), placed first in its head.
    static func confined(_ html: String) -> String {
        let policy = #"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:">"#
        if let head = html.range(of: "<head>", options: .caseInsensitive) {
            return html.replacingCharacters(in: head, with: html[head] + policy)
        }
        if let doctype = html.range(of: "<!doctype html>", options: .caseInsensitive), doctype.lowerBound == html.startIndex {
            return html.replacingCharacters(in: doctype, with: html[doctype] + policy)
        }
        return policy + html
    }

    /// The printers write `/CreationDate (D:20261121093608+00'00')` (Chromium) or
    /// `(D:20261121093608Z)` (wkhtmltopdf), and `/ModDate`, from the clock; each date's digits
    /// (and Chromium's offset) are overwritten in place with as many bytes, so the
    /// cross-reference offsets stay right.
    static func redate(_ pdf: Data, to wallNs: Int64) -> Data {
        let digits = Array(WallTime.iso8601(wallNs).filter(\.isNumber).utf8)
        let offset = Array("+00'00'".utf8)
        var bytes = [UInt8](pdf)
        let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        for key in ["/CreationDate (D:", "/ModDate (D:"] {
            let pattern = Array(key.utf8)
            var i = 0
            while i + pattern.count + digits.count + 1 <= bytes.count {
                guard bytes[i] == pattern[0], Array(bytes[i..<(i + pattern.count)]) == pattern else {
                    i += 1
                    continue
                }
                let start = i + pattern.count
                let end = start + digits.count
                // Only a date of exactly these shapes: 14 digits, then Z, or a sign and HH'MM'.
                if bytes[start..<end].allSatisfy(isDigit) {
                    if bytes[end] == 0x5A {
                        bytes.replaceSubrange(start..<end, with: digits)
                    } else if end + offset.count <= bytes.count, [0x2B, 0x2D].contains(bytes[end]), bytes[end + 3] == 0x27, bytes[end + 6] == 0x27 {
                        bytes.replaceSubrange(start..<(end + offset.count), with: digits + offset)
                    }
                }
                i = start
            }
        }
        return Data(bytes)
    }
}
