import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Access tokens for `firedrill serve`: create, list, revoke. The record keeps only each secret's SHA-256.",
        discussion: "Viewers read; operators also confirm and abort runs; admins also manage tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print its secret, once.",
            discussion: "The secret goes to stdout alone, so it can be piped to where it is kept; it cannot be shown again.")
        @Option(help: "Who holds it (a person or a team): 1-64 ASCII letters, digits, '.', '-', '_', '@' and spaces.") var name: String
        @Option(help: "viewer, operator or admin.") var role: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            // Any case: "Admin" is meant as admin.
            guard let role = AccessRole(rawValue: role.lowercased()) else {
                throw CommandFailure.usage("--role '\(role)' is not a role: use \(AccessRole.names)")
            }
            if let problem = AccessToken.nameProblem(name) { throw CommandFailure.usage(problem) }
            let db = try store.open()
            let secret = TokenSecret.generate()
            do {
                _ = try db.createToken(name: name, role: role, hash: TokenSecret.hash(secret), wallNs: SystemClock().now().wallNs)
            } catch let error as StoreError {
                // A name taken is the record's answer (exit 1, as `revoke` of a name not there); anything else, a store failure.
                let taken = (try? db.tokens())?.contains { $0.isLive && $0.name == name } ?? false
                throw CommandFailure(message: error.description, code: taken ? 1 : 70)
            }
            print(secret)
            FileHandle.standardError.write(Data("""
                token '\(name)' (\(role.rawValue)) created in \(store.shown). It will not be shown again: keep it now.
                Use it as the header `Authorization: Bearer TOKEN`, or paste it on the `firedrill serve` login page.

                """.utf8))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every token, live and revoked, oldest first (never a secret or a hash).")
        @Flag(help: "JSON, one object per token.") var json = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let tokens = try store.openExisting().tokens()
            if json {
                let rows: [[String: Any]] = tokens.map { token in
                    var row: [String: Any] = ["name": token.name, "role": token.role.rawValue, "created": WallTime.iso8601(token.createdWallNs),
                                              "live": token.isLive]
                    if let revoked = token.revokedWallNs { row["revoked"] = WallTime.iso8601(revoked) }
                    return row
                }
                let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            if tokens.isEmpty { print("no tokens"); return }
            for token in tokens {
                let state = token.revokedWallNs.map { "revoked \(WallTime.iso8601($0))" } ?? "live"
                print("\(token.name)\t\(token.role.rawValue)\tcreated \(WallTime.iso8601(token.createdWallNs))\t\(state)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke the live token of a name: every lookup from now on refuses it.",
            discussion: "Exit 1 when no live token has that name.")
        @Argument(help: "The token's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            let db = try store.openExisting()
            guard try db.revokeToken(name: name, wallNs: SystemClock().now().wallNs) else {
                throw CommandFailure(message: "no live token named '\(name)' in \(store.shown)", code: 1)
            }
            print("token '\(name)' revoked")
        }
    }
}
