import ArgumentParser
import FiredrillRuntime
import Foundation

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "The Ed25519 key that signs each run's chain head, so the record can be checked against an anchor.",
        subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a signing key (private, mode 0600) and its public half (FILE.pub).",
            discussion: """
                Runs sign their head at the end with the key at $FIREDRILL_SIGNING_KEY, or ~/.config/firedrill/signing.key.
                Keep the .pub file where the database's writers cannot change it (the evidence folder, the auditors):
                `firedrill verify --public-key FILE.pub` checks every signed head against it.
                """)

        @Option(help: "Where to write the private key (default: $FIREDRILL_SIGNING_KEY or ~/.config/firedrill/signing.key).")
        var out: String?

        func run() throws {
            let path = out ?? SigningKey.defaultPath()
            let key: SigningKey
            do { key = try SigningKey.create(at: path) } catch { throw CommandFailure.usage(error.description) }
            print("signing key: \(path) (mode 0600)")
            print("public key:  \(path).pub")
            print("key id:      \(key.keyID)")
            if out != nil, ProcessInfo.processInfo.environment["FIREDRILL_SIGNING_KEY"] != path {
                print("runs sign with it when FIREDRILL_SIGNING_KEY=\(path)")
            }
        }
    }
}
