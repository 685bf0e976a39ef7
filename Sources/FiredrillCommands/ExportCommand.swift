import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write runs as one evidence bundle: their scenarios, hash-chained events, rows, action items and signed heads.",
        discussion: """
            The bundle is one JSON file an auditor can check with no database (`firedrill verify FILE`) and that \
            `firedrill import` loads into either store. With a signing key configured (`firedrill key create`) the \
            bundle's digest is signed too.
            """)

    @Argument(help: "The runs (ids or unique prefixes).") var runIDs: [String]
    @Option(help: "The bundle file to write.") var out: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        guard !runIDs.isEmpty else { throw CommandFailure.usage("name at least one run to export") }
        let db = try store.openExisting()
        let ids = try runIDs.map { try findRun($0, in: db).id }
        let signer: SigningKey?
        do { signer = try SigningKey.configured() } catch { throw CommandFailure.usage(error.description) }
        let bundle: EvidenceBundle
        do {
            bundle = try EvidenceBundle.export(ids, from: db, signer: signer, wallNs: SystemClock().now().wallNs)
        } catch let error as StoreError { throw CommandFailure.internalError(error.description) }
        do {
            try createParentDirectory(of: out)
            try bundle.encoded().write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw CommandFailure.internalError("cannot write \(out): \(error.localizedDescription)")
        }
        let events = bundle.runs.reduce(0) { $0 + $1.eventCount }
        print("wrote \(out): \(bundle.runs.count) run\(bundle.runs.count == 1 ? "" : "s"), \(events) events, digest \(bundle.digest)"
              + (bundle.signature.map { ", signed by key \(SigningKey.keyID($0.publicKey))" } ?? ", unsigned"))
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load an evidence bundle into this record (SQLite or PostgreSQL), after checking it whole.",
        discussion: "A bundle that does not verify is refused, and so is a run this record already has.")

    @Argument(help: "The bundle file.") var file: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        let bundle: EvidenceBundle
        do { bundle = try EvidenceBundle.read(file) } catch { throw CommandFailure.usage("\(error)") }
        let check = bundle.check()
        guard check.broken.isEmpty else {
            for line in check.broken { print("BROKEN \(line)") }
            throw CommandFailure(message: "\(file) does not verify (\(check.broken.count) broken): nothing was imported", code: 1)
        }
        let db = try store.open()
        for run in bundle.runs {
            guard let imported = run.imported else { throw CommandFailure.internalError("run \(run.row.id): its status is unknown") }
            do {
                let keptNumbers = try db.importRun(imported)
                // The projections a run's end writes, recomputed from its chain as a report would.
                if let stored = try db.run(run.row.id), stored.status.isFinal {
                    let evidence = try RunEvidence.load(stored, from: db)
                    try db.saveMeasurement(runID: stored.id, measurement: evidence.measurement, marks: evidence.machine.state.marks)
                }
                print("imported run \(run.row.id): \(run.eventCount) events, head \(run.chainHead)"
                      + (keptNumbers ? "" : " (its action items got new numbers: theirs are taken here)"))
            } catch let error as StoreError {
                throw CommandFailure.internalError(error.description)
            }
        }
        print("\(bundle.runs.count) run\(bundle.runs.count == 1 ? "" : "s") imported into \(db.location)")
    }
}
