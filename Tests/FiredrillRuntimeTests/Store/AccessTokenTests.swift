import FiredrillRuntime
import Foundation
import Testing

/// A token's secret, its hash, its roles and the names it may be given.
@Suite struct AccessTokenTests {
    @Test func aSecretIsFdtAnd43Base64URLCharactersFromFreshRandomBytes() throws {
        let secrets = (0..<200).map { _ in TokenSecret.generate() }
        #expect(Set(secrets).count == secrets.count)
        for secret in secrets {
            #expect(secret.hasPrefix("fdt_") && secret.count == 47, "\(secret)")
            #expect(TokenSecret.isWellFormed(secret), "\(secret)")
            // The 43 characters are 32 bytes: padded back, standard base64 decodes them.
            let standard = secret.dropFirst(4).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "="
            #expect(try #require(Data(base64Encoded: standard)).count == 32)
        }
        // Every base64url character turns up, and nothing else does.
        let seen = Set(secrets.flatMap { $0.dropFirst(4) })
        #expect(seen == Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
    }

    @Test func theHashIsSHA256HexOfTheWholeSecretText() {
        // FIPS 180-2's "abc".
        #expect(TokenSecret.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // sha256sum of the text, prefix and all.
        let secret = "fdt_" + String(repeating: "A", count: 43)
        #expect(TokenSecret.isWellFormed(secret))
        #expect(TokenSecret.hash(secret) == "f658f22f68dfa7ccc54b008b3e5e249379b81889d19580945e94e9ad6ad903ed")
        #expect(TokenSecret.hash(secret) != TokenSecret.hash(String(secret.dropFirst(4))), "the prefix is hashed too")
    }

    @Test func onlyASecretsShapeIsWellFormed() {
        let secret = TokenSecret.generate()
        for bad in ["", "fdt_", String(secret.dropLast()), secret + "A", "fdx_" + secret.dropFirst(4), "fdt_" + String(repeating: "+", count: 43),
                    " " + secret, TokenSecret.hash(secret)] {
            #expect(!TokenSecret.isWellFormed(bad), "\(bad)")
        }
    }

    @Test func rolesAreOrderedByPower() {
        #expect(AccessRole.viewer < .operator && AccessRole.operator < .admin)
        #expect(AccessRole.allCases.sorted() == [.viewer, .operator, .admin])
        #expect(AccessRole.admin.allows(.operator) && AccessRole.admin.allows(.viewer) && AccessRole.operator.allows(.operator))
        #expect(!AccessRole.viewer.allows(.operator) && !AccessRole.operator.allows(.admin))
        #expect(AccessRole.allCases.map(\.rawValue) == ["viewer", "operator", "admin"])
        #expect(AccessRole.names == "viewer, operator or admin")
    }

    @Test func aNameIsShortPrintableASCIIAndSaysWhatIsWrong() {
        for good in ["alice", "SRE team", "ops@example.com", "a.b-c_d", String(repeating: "x", count: 64), "7"] {
            #expect(AccessToken.nameProblem(good) == nil, "\(good)")
        }
        let bad: [(String, String)] = [
            ("", "empty"), (String(repeating: "x", count: 65), "has 65 characters"), ("bell\u{07}", "U+0007"), ("tab\there", "U+0009"),
            ("new\nline", "U+000A"), ("José", "U+00E9"), ("rtl\u{202E}", "U+202E"), ("a/b", "U+002F"), (" alice", "space"), ("alice ", "space"),
        ]
        for (name, says) in bad {
            let problem = AccessToken.nameProblem(name)
            #expect(problem?.contains("1-64 ASCII letters, digits") == true && problem?.contains(says) == true, "\(name.debugDescription): \(problem ?? "nil")")
        }
    }
}
