import Foundation

/// The JSON the stores write (event payloads, inbox messages, measurements): sorted keys and
/// slashes unescaped, so one value always has one text and a chain's hashes are the same
/// whichever store linked it.
public enum StoreJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
