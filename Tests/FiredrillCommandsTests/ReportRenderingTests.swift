import FiredrillTestSupport
import Foundation
import Synchronization
import Testing

/// The HTML report as a browser draws it, and the PDF printed from it, through Debian's
/// headless Chromium and wkhtmltopdf; each skipped, saying so, where it is not installed.
@Suite struct ReportRenderingTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static let python: String? = ["/usr/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var missing: String {
        [chromium == nil ? "chromium is not installed (apt-get install chromium)" : nil,
         python == nil ? "python3 is not installed (apt-get install python3), which reads the screenshot" : nil]
            .compactMap { $0 }.joined(separator: "; ")
    }

    @Test(.enabled(if: chromium != nil && python != nil, Comment(rawValue: missing)))
    func theHTMLReportDrawsItsTimelineInABrowser() async throws {
        let dir = try temporaryFolder("report-render")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await ReportCommandTests.runDrill(dir)
        let written = try await FiredrillProcess.run(["report", runID, "--db", dir + "/fd.db", "--out", dir], directory: dir)
        #expect(written.status == 0, "\(written.output)")
        let shot = dir + "/shot.png"
        let drawn = try await FiredrillProcess.run(
            ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=\(dir)/profile",
             "--window-size=1100,1400", "--screenshot=\(shot)", "file://\(dir)/report.html"], directory: dir, executable: Self.chromium!)
        #expect(FileManager.default.fileExists(atPath: shot), "\(drawn.output)")
        // Counts pixels by colour: the page is not blank, and the timeline's bars (phase blue,
        // passed green) and the marks' lines were drawn.
        let counts = try await Self.pixels(shot, in: dir)
        let total = try #require(counts["total"])
        #expect(Double(counts["ink"] ?? 0) / Double(total) > 0.02, "\(counts)")
        #expect((counts["phase"] ?? 0) > 500, "phase bars: \(counts)")
        #expect((counts["passed"] ?? 0) > 500, "step bars: \(counts)")
        // Marks close together overlap; together their lines show.
        #expect((counts["disaster"] ?? 0) + (counts["detected"] ?? 0) + (counts["recovered"] ?? 0) > 40, "mark lines: \(counts)")

        // The trend page: its charts' points and objective lines are drawn too.
        let trend = try await FiredrillProcess.run(["report", "--all", "--db", dir + "/fd.db", "--out", dir], directory: dir)
        #expect(trend.status == 0, "\(trend.output)")
        let trendShot = dir + "/trend.png"
        _ = try await FiredrillProcess.run(
            ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=\(dir)/profile",
             "--window-size=1000,1000", "--screenshot=\(trendShot)", "file://\(dir)/trend.html"], directory: dir, executable: Self.chromium!)
        let trendPixels = try await Self.pixels(trendShot, in: dir)
        #expect((trendPixels["passed"] ?? 0) > 40, "the met points: \(trendPixels)")
        #expect((trendPixels["disaster"] ?? 0) > 20, "the dashed objective lines: \(trendPixels)")
    }

    static let wkhtmltopdf: String? = ["/usr/bin/wkhtmltopdf"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: chromium != nil, Comment(rawValue: missing)))
    func aPDFIsPrintedThroughChromium() async throws {
        let pdf = try await Self.printedTwice(["FIREDRILL_CHROMIUM": Self.chromium!])
        #expect(pdf.range(of: Data("Skia/PDF".utf8)) != nil, "printed by Chromium")
        // Untagged: a structure tree names its elements by Chromium's DOM node ids, which vary from print to print.
        #expect(pdf.range(of: Data("/StructTreeRoot".utf8)) == nil)
    }

    /// The faster printer, preferred when installed; Qt's hash order is fixed, so its fonts are
    /// embedded in one order and the same record gives the same bytes.
    @Test(.enabled(if: wkhtmltopdf != nil, "wkhtmltopdf is not installed (apt-get install wkhtmltopdf)"))
    func aPDFIsPrintedThroughWkhtmltopdf() async throws {
        let pdf = try await Self.printedTwice(["FIREDRILL_WKHTMLTOPDF": Self.wkhtmltopdf!])
        #expect(pdf.range(of: Data("Skia/PDF".utf8)) == nil, "printed by wkhtmltopdf, not Chromium")
    }

    /// The drill's PDF report, printed twice a second apart: a PDF, of some size, the same bytes
    /// both times (dated by the record, not the clock).
    static func printedTwice(_ environment: [String: String]) async throws -> Data {
        let dir = try temporaryFolder("report-pdf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await ReportCommandTests.runDrill(dir)
        let printed = try await FiredrillProcess.run(["report", runID, "--db", dir + "/fd.db", "--format", "pdf", "--out", dir],
                                                     environment: environment, directory: dir)
        #expect(printed.status == 0, "\(printed.output)")
        let pdf = try Data(contentsOf: URL(fileURLWithPath: dir + "/report.pdf"))
        #expect(pdf.starts(with: Data("%PDF-".utf8)))
        #expect(pdf.count > 10_000)
        try await Task.sleep(for: .milliseconds(1100))
        let again = try await FiredrillProcess.run(["report", runID, "--db", dir + "/fd.db", "--format", "pdf", "--out", dir + "/again"],
                                                   environment: environment, directory: dir)
        #expect(again.status == 0, "\(again.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/again/report.pdf")) == pdf)
        return pdf
    }

    static let pdftotext: String? = ["/usr/bin/pdftotext"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var printers: [String] {
        [wkhtmltopdf.map { _ in "FIREDRILL_WKHTMLTOPDF" }, chromium.map { _ in "FIREDRILL_CHROMIUM" }].compactMap { $0 }
    }

    /// A team's template that links a page on the network (here a server on loopback, which on a
    /// cloud host could be the instance's metadata) and a local file: neither is fetched or read
    /// into the PDF, whichever printer prints it.
    @Test(.enabled(if: pdftotext != nil, "pdftotext is not installed (apt-get install poppler-utils), which reads the PDF back"),
          arguments: printers)
    func aTemplateCannotMakeThePrinterFetchOrReadFiles(_ printer: String) async throws {
        let dir = try temporaryFolder("report-pdf-confined")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let requests = Mutex(0)
        let server = try LoopbackTCPServer { connection in
            _ = connection.readRequest()
            requests.withLock { $0 += 1 }
            _ = connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\nFETCHED-FROM-NETWORK")
        }
        defer { server.stop() }
        try "READ-FROM-LOCAL-FILE".write(toFile: dir + "/canary.txt", atomically: true, encoding: .utf8)
        try """
            <!doctype html><html><head><title>{{title}}</title></head><body><p>TEMPLATE-BODY</p>
            <iframe src="\(server.base)/metadata"></iframe><img src="\(server.base)/pixel.png">
            <iframe src="file://\(dir)/canary.txt"></iframe><script>document.write("SCRIPT-RAN")</script>
            </body></html>
            """.write(toFile: dir + "/mine.mustache", atomically: true, encoding: .utf8)
        let runID = try await ReportCommandTests.runDrill(dir)
        let binary = printer == "FIREDRILL_CHROMIUM" ? Self.chromium! : Self.wkhtmltopdf!
        let printed = try await FiredrillProcess.run(["report", runID, "--db", dir + "/fd.db", "--format", "pdf", "--out", dir,
                                                      "--template", dir + "/mine.mustache"],
                                                     environment: [printer: binary], directory: dir)
        #expect(printed.status == 0, "\(printed.output)")
        let text = try await FiredrillProcess.run([dir + "/report.pdf", "-"], directory: dir, executable: Self.pdftotext!)
        #expect(text.stdout.contains("TEMPLATE-BODY"), "\(text.output)")
        #expect(!text.stdout.contains("FETCHED-FROM-NETWORK"))
        #expect(!text.stdout.contains("READ-FROM-LOCAL-FILE"))
        #expect(!text.stdout.contains("SCRIPT-RAN"))
        #expect(requests.withLock { $0 } == 0, "the printer asked the network")
    }

    @Test func withoutAPrinterThePDFErrorNamesThePackages() async throws {
        let dir = try temporaryFolder("report-pdf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await ReportCommandTests.runDrill(dir)
        let refused = try await FiredrillProcess.run(["report", runID, "--db", dir + "/fd.db", "--format", "pdf", "--out", dir],
                                                     environment: ["PATH": dir, "FIREDRILL_CHROMIUM": "", "FIREDRILL_WKHTMLTOPDF": ""], directory: dir)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("apt-get install wkhtmltopdf"), "\(refused.output)")
        #expect(refused.stderr.contains("apt-get install chromium"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/report.pdf"))
    }

    /// How many pixels of a screenshot are ink, and near each of the report's colours.
    static func pixels(_ png: String, in dir: String) async throws -> [String: Int] {
        let counted = try await FiredrillProcess.run(["-c", pixelCounter, png], directory: dir, executable: python!)
        #expect(counted.status == 0, "\(counted.output)")
        return Dictionary(counted.stdout.split(separator: "\n").compactMap { line -> (String, Int)? in
            let parts = line.split(separator: " ")
            return parts.count == 2 ? (String(parts[0]), Int(parts[1]) ?? 0) : nil
        }, uniquingKeysWith: { $1 })
    }

    /// Reads an 8-bit RGB or RGBA PNG with the standard library only, and counts pixels near
    /// the report's colours.
    static let pixelCounter = #"""
import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, width, height, ctype = 8, b'', 0, 0, 0
while pos < len(data):
    length, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b'IHDR':
        width, height, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
        assert depth == 8 and ctype in (2, 6) and interlace == 0, 'unsupported PNG'
    elif kind == b'IDAT':
        idat += body
    pos += 12 + length
bpp = 4 if ctype == 6 else 3
raw = zlib.decompress(idat)
stride = width * bpp
rows, prev, i = [], bytearray(stride), 0
for _ in range(height):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
    rows.append(line); prev = line
colours = {'phase': (0x4a, 0x6f, 0xa5), 'passed': (0x3c, 0x9a, 0x5f), 'disaster': (0xc0, 0x39, 0x2b),
           'detected': (0xe6, 0x7e, 0x22), 'recovered': (0x27, 0xae, 0x60)}
counts = dict.fromkeys(colours, 0); ink = 0
for line in rows:
    for x in range(0, stride, bpp):
        r, g, b = line[x], line[x + 1], line[x + 2]
        if r < 240 or g < 240 or b < 240: ink += 1
        for name, (cr, cg, cb) in colours.items():
            if abs(r - cr) < 12 and abs(g - cg) < 12 and abs(b - cb) < 12: counts[name] += 1
print('total', width * height); print('ink', ink)
for name, n in counts.items(): print(name, n)
"""#
}
